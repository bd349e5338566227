"""One way to hash a file, shared by staging (which writes the manifest) and the boot (which
verifies it): if the two ever disagreed, every staged file would be refused."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
