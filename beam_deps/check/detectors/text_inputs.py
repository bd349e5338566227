"""Local text inputs read as the worker reads them (BD330), and their first records, which
known_elements runs the first steps on.

``ReadFromText`` picks the decompression from the file's name and decodes each line with
its coder (UTF-8 by default). For a pattern on this machine the files are read here with the
source Beam ships (``read_records``, the code the worker runs), so what that read raises is
the worker's error: a ``.gz`` name on plain text ("incorrect header check"), gzip bytes
under a ``.txt`` name or a latin-1 file ("UnicodeDecodeError"). Up to 5 files per source,
each read up to 4 MB of text; a file that vanishes or is not readable by this user is not
its content's fault and is not claimed. Patterns of other file systems (``gs://``) are
not read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.diagnostics import Diagnostic

RECORDS = 1000  # records of each input file kept for the steps after the read
FILES = 5  # input files read per source
SCANNED = 4 * 2**20  # characters of each file read for decoding errors


def pattern_of(source: Any) -> Any:
    """The file pattern a file-based source reads (its value provider's value)."""
    pattern = getattr(source, "_pattern", None)
    return pattern.get() if hasattr(pattern, "get") else pattern


def local_files(source: Any) -> list[str]:
    """The files on this machine a text source reads (none for another file system)."""
    from apache_beam.io.filesystems import FileSystems

    pattern = pattern_of(source)
    if not isinstance(pattern, str) or ("://" in pattern and not pattern.startswith("file://")):
        return []
    try:
        (matched,) = FileSystems.match([pattern])
    except Exception:  # noqa: BLE001 - nothing matched, or an odd pattern: Beam says so
        return []
    paths = sorted(m.path for m in matched.metadata_list)
    return [p for p in paths if os.path.isfile(p.removeprefix("file://"))][:FILES]


def read(source: Any, path: str) -> tuple[list[Any], BaseException | None, bool]:
    """The first records of one file as the worker reads them, what reading it raised, and
    whether they are all of its records."""
    from apache_beam.io.range_trackers import OffsetRangeTracker

    tracker = OffsetRangeTracker(0, OffsetRangeTracker.OFFSET_INFINITY)
    records: list[Any] = []
    seen = count = 0
    try:
        for record in source.read_records(path, tracker):
            if len(records) < RECORDS:
                records.append(record)
            seen += len(record) if isinstance(record, str | bytes) else 1
            if seen > SCANNED:
                return records, None, False
            count += 1
    except (FileNotFoundError, PermissionError, IsADirectoryError, MemoryError):
        return records, None, False  # the file went, or is not this user's: not its content
    except Exception as exc:  # noqa: BLE001 - the worker's read raises the same
        return records, exc, False
    return records, None, count <= RECORDS


def text_inputs(pipeline: Any) -> Iterator[tuple[Any, Any, str, bool]]:
    """(the Read node, its output, a file, whether it is the source's only file) for each
    local file of a text source."""
    from apache_beam.io.iobase import Read
    from apache_beam.io.textio import _TextSource

    for node in shuffles.nodes_of(pipeline, Read, composites=True):
        source = getattr(node.transform, "source", None)
        if not isinstance(source, _TextSource):
            continue
        outputs = list((node.outputs or {}).values())
        paths = local_files(source)
        for path in paths:
            yield node, outputs[0] if outputs else None, path, len(paths) == 1


def _read_hint(source: Any, path: str, error: BaseException) -> str:
    """What to change: the compression, the encoding, or the coder given to the read."""
    from apache_beam.coders import StrUtf8Coder

    with open(path, "rb") as handle:
        head = handle.read(4)
    if head[:2] == b"\x1f\x8b" and not path.lower().endswith(".gz"):
        return (
            "the file is gzip-compressed under a name without .gz: pass "
            "compression_type=CompressionTypes.GZIP, or name it .gz"
        )
    coder = getattr(source, "_coder", None)
    if isinstance(error, UnicodeError) and isinstance(coder, StrUtf8Coder):
        return (
            "the file is not UTF-8: convert it (iconv -f latin1 -t utf-8), or read bytes "
            "with coder=coders.BytesCoder() and decode them in a Map"
        )
    if coder is not None and not isinstance(coder, StrUtf8Coder):
        return f"the {type(coder).__name__} given to the read cannot decode its lines"
    return (
        "the file's content is not what its name says: name it without the compression "
        "suffix, or pass compression_type=CompressionTypes.UNCOMPRESSED"
    )


def read_failure(node: Any, path: str, error: BaseException, error_text: str) -> Diagnostic:
    """BD330 for a file the worker's read fails on, with what to change."""
    where = shuffles.where(node)
    hint = _read_hint(node.transform.source, path, error)
    return diagnostic(
        "BD330",
        f"{where['transform']} reads {path}, which the worker's read "
        f'fails on: "{error_text}" ({hint})',
        path=f"{where['transform']} > {os.path.basename(path)}",
        **where,
    )


__all__ = ["local_files", "pattern_of", "read", "read_failure", "text_inputs"]
