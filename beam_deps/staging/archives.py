"""Deterministic wheels and sdists: the same inputs give the same bytes.

Byte-identical artifacts are what make an environment key meaningful (the worker caches by
it) and what lets a content-hash cache say "nothing changed". Zip and tar record timestamps,
permissions, owners and entry order; all of them are fixed here: timestamps come from
``SOURCE_DATE_EPOCH`` (the reproducible-builds convention), entries are sorted, files are
0644 (0755 when executable), owners are root.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
import re
import tarfile
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path

# 1980-01-02: the zip format cannot store earlier dates, and some tools choke on 1980-01-01.
DEFAULT_EPOCH = 315619200


def source_date_epoch() -> int:
    try:
        return max(int(os.environ["SOURCE_DATE_EPOCH"]), DEFAULT_EPOCH)
    except (KeyError, ValueError):
        return DEFAULT_EPOCH


def _zip_time(epoch: int) -> tuple[int, int, int, int, int, int]:
    return time.gmtime(epoch)[:6]


def record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def safe_name(name: str) -> str:
    """Distribution name as it appears in wheel file names (PEP 427/491)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _entry_order(name: str) -> tuple[int, str]:
    # The .dist-info folder goes last and RECORD last of all, as the wheel spec recommends.
    if name.endswith(".dist-info/RECORD"):
        return (2, name)
    if name.split("/", 1)[0].endswith(".dist-info"):
        return (1, name)
    return (0, name)


def write_zip(path: Path, entries: Iterable[tuple[str, bytes, bool]]) -> None:
    """Write (arcname, data, executable) entries deterministically."""
    stamp = _zip_time(source_date_epoch())
    items = sorted(entries, key=lambda e: _entry_order(e[0]))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arcname, data, executable in items:
            info = zipfile.ZipInfo(arcname, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
            info.create_system = 3
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)


def build_wheel(
    out_dir: Path,
    name: str,
    version: str,
    files: dict[str, Path],
    *,
    summary: str = "",
    requires: Iterable[str] = (),
    top_level: Iterable[str] = (),
) -> Path:
    """Build a pure-Python ``py3-none-any`` wheel from ``{arcname: source file}``."""
    dist = safe_name(name)
    info = f"{dist}-{version}.dist-info"
    entries: list[tuple[str, bytes, bool]] = []
    for arcname, source in files.items():
        entries.append((arcname, source.read_bytes(), os.access(source, os.X_OK)))
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
    ]
    if summary:
        metadata.append(f"Summary: {summary}")
    metadata += [f"Requires-Dist: {r}" for r in requires]
    entries.append((f"{info}/METADATA", ("\n".join(metadata) + "\n").encode(), False))
    wheel = "Wheel-Version: 1.0\nGenerator: beam-deps\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    entries.append((f"{info}/WHEEL", wheel.encode(), False))
    tops = sorted(set(top_level))
    if tops:
        entries.append((f"{info}/top_level.txt", ("\n".join(tops) + "\n").encode(), False))
    record = [f"{a},{record_hash(d)},{len(d)}" for a, d, _ in sorted(entries)]
    record.append(f"{info}/RECORD,,")
    entries.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode(), False))
    path = Path(out_dir) / f"{dist}-{version}-py3-none-any.whl"
    write_zip(path, entries)
    return path


def normalize_wheel(path: Path) -> None:
    """Rewrite a wheel built by a backend so its bytes depend only on its contents."""
    with zipfile.ZipFile(path) as zf:
        entries = [
            (i.filename, zf.read(i), bool((i.external_attr >> 16) & 0o111))
            for i in zf.infolist()
            if not i.is_dir()
        ]
    tmp = path.with_suffix(".tmp")
    write_zip(tmp, entries)
    os.replace(tmp, path)


def normalize_sdist(path: Path) -> None:
    """Rewrite a .tar.gz with sorted members, fixed times/owners/modes and a fixed gzip header."""
    epoch = source_date_epoch()
    with tarfile.open(path, "r:*") as src:
        members = [(m, src.extractfile(m).read() if m.isfile() else None) for m in src]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as dst:
        for member, data in sorted(members, key=lambda m: m[0].name):
            member.mtime = epoch
            member.uid = member.gid = 0
            member.uname = member.gname = ""
            member.pax_headers = {}
            if member.isdir():
                member.mode = 0o755
            elif member.isfile():
                member.mode = 0o755 if member.mode & 0o111 else 0o644
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(buf.getvalue())
    os.replace(tmp, path)
