"""How documents are decoded (bson.codec_options): plain options, no connection."""

from __future__ import annotations

import threading


class TypeRegistry:
    def __init__(self, type_codecs: tuple = ()) -> None:
        self._type_codecs = list(type_codecs)
        # decoders by BSON type, cached per thread
        self._decoder_cache = threading.local()


class CodecOptions:
    def __init__(self, tz_aware: bool = False, type_registry: TypeRegistry | None = None):
        self.tz_aware = tz_aware
        self.type_registry = type_registry or TypeRegistry()
