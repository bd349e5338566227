"""Local Avro inputs read as rows, converted and encoded as the worker does (BD330).

``ReadFromAvro(pattern, as_rows=True)`` derives a Beam schema from the first file's Avro
schema while the pipeline is built, and that derivation drops logical types: a ``long``
with ``logicalType: timestamp-millis`` (how BigQuery exports a TIMESTAMP) becomes INT64,
while fastavro decodes it to a ``datetime``. The worker's RowCoder then fails on the first
record ("TypeError: an integer is required [while running 'ReadFromAvro/Map(...)']",
apache/beam#31656, open on every Beam since 2.51); a ``date``, a ``decimal`` or a ``uuid``
field breaks the same way.

Decided by running, not by reading: the first records of up to 5 local files are read
with the source Beam ships (the worker's own code), converted by the transform's own
conversion and encoded with the coder of its output. What raises there raises on the
worker. Files of other file systems (``gs://``) are not read; a file that vanishes or is
not readable by this user is not claimed.
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

import os
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors.text_inputs import FILES, local_files
from beam_deps.diagnostics import Diagnostic

RECORDS = 100  # records of each file converted and encoded


def _logical_fields(schema: Any) -> list[str]:
    """``name (logicalType)`` for each top-level field of a record schema with a logical
    type, in the file's own Avro schema."""
    found = []
    for field in schema.get("fields", []) if isinstance(schema, dict) else []:
        types = field.get("type")
        for kind in types if isinstance(types, list) else [types]:
            if isinstance(kind, dict) and kind.get("logicalType"):
                found.append(f"{field.get('name')} ({kind['logicalType']})")
    return found


def _first_failure(source: Any, path: str, convert: Any, coder: Any) -> BaseException | None:
    from apache_beam.io.range_trackers import OffsetRangeTracker

    try:
        # the file's own size, as the worker's split has: past its last block the read
        # would ask for one more ("generator raised StopIteration")
        tracker = OffsetRangeTracker(0, os.path.getsize(path.removeprefix("file://")))
        for count, record in enumerate(source.read_records(path, tracker)):
            if count >= RECORDS:
                return None
            coder.encode(convert(record))
    except (OSError, MemoryError):
        return None  # the file went, or is not this user's: not its content
    except Exception as exc:  # noqa: BLE001 - the worker's conversion raises the same
        return exc
    return None


def _writer_schema(path: str) -> Any:
    import fastavro

    try:
        with open(path.removeprefix("file://"), "rb") as handle:
            return fastavro.reader(handle).writer_schema
    except Exception:  # noqa: BLE001 - no schema to show: the finding stands without it
        return None


def avro_row_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD330 for each local file a ``ReadFromAvro(as_rows=True)`` cannot turn into rows."""
    try:
        from apache_beam.coders import registry
        from apache_beam.io.avroio import ReadFromAvro
    except ImportError:  # an old Beam without Avro rows
        return []

    out: list[Diagnostic] = []
    for node in shuffles.nodes_of(pipeline, ReadFromAvro, composites=True):
        convert = getattr(node.transform, "_post_process", None)
        source = getattr(node.transform, "_source", None)
        outputs = list((node.outputs or {}).values())
        if convert is None or source is None or len(outputs) != 1:
            continue
        try:
            coder = registry.get_coder(outputs[0].element_type)
            paths = local_files(source)
        except Exception:  # noqa: BLE001 - no coder or no files: nothing to run
            continue
        for path in paths[:FILES]:
            error = _first_failure(source, path, convert, coder)
            if error is not None:
                out.append(_finding(node, path, error))
                break
    return out


def _finding(node: Any, path: str, error: BaseException) -> Diagnostic:
    where = shuffles.where(node)
    fields = _logical_fields(_writer_schema(path))
    named = f" ({', '.join(fields)})" if fields else ""
    text = f"{type(error).__name__}: {error}".splitlines()[0]
    return diagnostic(
        "BD330",
        f"{where['transform']} reads {path} as rows, and the worker fails converting its "
        f'records: "{text}": the row schema Beam derives drops the logical types of the '
        f"file's Avro schema{named}, whose values fastavro decodes to datetimes, dates or "
        "decimals that the schema's integer or bytes fields cannot hold (apache/beam#31656)",
        path=f"{where['transform']} > {os.path.basename(path)}",
        fix="Read the records as dicts (`ReadFromAvro(pattern)`, without as_rows) and build "
        "the rows in a Map, converting those fields: `beam.Row(user=r['user'], "
        "ts=Timestamp.from_utc_datetime(r['ts']))`, or `int(r['ts'].timestamp() * 1000)`.",
        **where,
    )


__all__ = ["avro_row_diagnostics"]
