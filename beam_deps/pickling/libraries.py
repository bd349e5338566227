"""Serialise exactly as Beam does, through Beam's own pickler facade.

We never reimplement a pickler: what we judge must be the bytes Beam would ship, made by
the cloudpickle Beam uses (its vendored copy from 2.65, the PyPI package before) with Beam's
reducers (locks, absl flags, proto enums), or by Beam's patched dill. What differs between
Beam versions comes from the Beam profile (``beam_deps.beam``). The only thing we add is
*observation*: while Beam pickles, a ``persistent_id`` hook records every object the pickler
visits (it always returns None, so the bytes are unchanged). That lets hazard detection look
at exactly what was pickled instead of re-walking the object graph ourselves.
"""

from __future__ import annotations

import base64
import bz2
import contextlib
import threading
import zlib
from collections.abc import Iterator
from typing import Any

from apache_beam.internal import pickler as beam_pickler

from beam_deps.beam import cloudpickle_module, is_currently_cloudpickle, profile, raw_dumps

LIBRARIES = ("cloudpickle", "default", "dill", "dill_unsafe")  # the newest Beam's choices
_switch_lock = threading.RLock()


def normalize_library(name: str | None) -> str:
    """Map a ``--pickle_library`` value to the library Beam will really use."""
    name = (name or "default").strip().lower()
    if name == "default":
        return beam_pickler.DEFAULT_PICKLE_LIB
    accepted = profile().libraries
    if name not in accepted:
        raise ValueError(
            f"unknown pickle library {name!r} for apache-beam {profile().version}; expected "
            "one of: " + ", ".join(accepted)
        )
    return name


def dill_version() -> str | None:
    try:
        import dill
    except ImportError:
        return None
    return dill.__version__


_active: str | None = None  # the library using_library last selected


def _beam_library_name() -> str:
    if is_currently_cloudpickle():
        return "cloudpickle"
    return _active if _active in ("dill", "dill_unsafe") else "dill"


@contextlib.contextmanager
def using_library(name: str | None) -> Iterator[str]:
    """Switch Beam's global pickler for the duration of the block, then restore it.

    Raises ImportError with Beam's own message when dill is asked for but not installed.
    """
    global _active
    library = normalize_library(name)
    with _switch_lock:
        previous = _beam_library_name()
        if library != previous:
            beam_pickler.set_library(library)
        _active = library
        try:
            yield library
        finally:
            if library != previous:
                beam_pickler.set_library(previous)
            _active = previous


def dumps(obj: Any, library: str | None = "cloudpickle") -> bytes:
    """Beam's payload bytes for ``obj``: base64(bz2(pickle)), as ``pickler.dumps`` makes them."""
    with using_library(library):
        return beam_pickler.dumps(obj)


def loads(payload: bytes, library: str | None = "cloudpickle") -> Any:
    with using_library(library):
        return beam_pickler.loads(payload)


def raw_pickle(payload: bytes) -> bytes:
    """The uncompressed pickle stream inside a Beam payload (bz2 or zlib)."""
    data = base64.b64decode(payload)
    try:
        return bz2.decompress(data)
    except OSError:
        return zlib.decompress(data)


def try_pickle(obj: Any, library: str) -> BaseException | None:
    """Pickle ``obj`` alone (no compression); return the exception it raised, if any.

    Used by the inspector to bisect a failing object graph. The library must already be
    selected with ``using_library``.
    """
    if is_currently_cloudpickle():
        from apache_beam.internal import cloudpickle_pickler as library_module
    else:
        from apache_beam.internal import dill_pickler as library_module
    dump = raw_dumps(library_module)

    try:
        dump(obj)
    except BaseException as exc:  # noqa: BLE001 - hostile objects raise anything
        if isinstance(exc, KeyboardInterrupt):
            raise
        return exc
    return None


@contextlib.contextmanager
def observing(seen: list[Any]) -> Iterator[None]:
    """Record every object the active Beam pickler visits into ``seen``.

    cloudpickle: Beam builds ``cloudpickle.CloudPickler(file, ...)`` on each dump, so
    we swap in a subclass whose ``persistent_id`` records and returns None. dill: Beam calls
    ``dill.dumps``, which instantiates ``dill._dill.Pickler``; we swap that the same way.
    Both swaps are undone on exit, and hold Beam's own pickle lock meanwhile.
    """
    append = seen.append

    if is_currently_cloudpickle():
        from apache_beam.internal import cloudpickle_pickler

        cp = cloudpickle_module()

        base = cp.CloudPickler

        class ObservingCloudPickler(base):  # type: ignore[misc, valid-type]
            def persistent_id(self, obj: Any) -> None:
                append(obj)
                return None

        with cloudpickle_pickler._pickle_lock:
            cp.CloudPickler = ObservingCloudPickler
            try:
                yield
            finally:
                cp.CloudPickler = base
        return

    import dill._dill as dill_impl
    from apache_beam.internal import dill_pickler

    base = dill_impl.Pickler

    class ObservingDillPickler(base):  # type: ignore[misc, valid-type]
        def persistent_id(self, obj: Any) -> None:
            append(obj)
            return None

    # dill decides "is this a dill pickler?" partly from the class's module.
    ObservingDillPickler.__module__ = base.__module__
    with dill_pickler._pickle_lock:
        dill_impl.Pickler = ObservingDillPickler
        try:
            yield
        finally:
            dill_impl.Pickler = base
