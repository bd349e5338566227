"""What BD330 claims for Avro rows (``ReadFromAvro(..., as_rows=True)``) and what it leaves
alone. The real runs are tests/examples/elements_avro_timestamp_rows*.py in
test_accuracy_elements.py; these build pipelines (never run)."""

from __future__ import annotations

import datetime

import apache_beam as beam
import fastavro
import pytest

from beam_deps.check.detectors.avro_inputs import avro_row_diagnostics

WHEN = datetime.datetime(2024, 6, 1, tzinfo=datetime.timezone.utc)
FIELDS = {
    "millis": ({"type": "long", "logicalType": "timestamp-millis"}, WHEN),
    "date": ({"type": "int", "logicalType": "date"}, WHEN.date()),
    "plain": ("long", 17),
    "nullable-millis": (["null", {"type": "long", "logicalType": "timestamp-millis"}], WHEN),
}


def _export(tmp_path, kind: str) -> str:
    avro_type, value = FIELDS[kind]
    schema = {
        "type": "record",
        "name": "r",
        "fields": [{"name": "k", "type": "string"}, {"name": "v", "type": avro_type}],
    }
    path = tmp_path / f"{kind}.avro"
    with open(path, "wb") as handle:
        fastavro.writer(handle, fastavro.parse_schema(schema), [{"k": "a", "v": value}])
    return str(path)


def _found(path: str, as_rows: bool) -> list[str]:
    p = beam.Pipeline()
    try:
        read = beam.io.ReadFromAvro(path, as_rows=as_rows)
    except TypeError as exc:  # Beam 2.61 cannot derive a schema for ["null", {logical}]
        pytest.skip(f"this Beam refuses the schema while the pipeline is built: {exc}")
    p | read | beam.Map(print)
    return [d.message for d in avro_row_diagnostics(p)]


@pytest.mark.parametrize("kind", ["millis", "date", "nullable-millis"])
def test_logical_types_the_rows_cannot_hold(kind, tmp_path):
    (message,) = _found(_export(tmp_path, kind), as_rows=True)
    assert "apache/beam#31656" in message and "v (" in message


def test_what_is_never_claimed(tmp_path):
    assert _found(_export(tmp_path, "plain"), as_rows=True) == []  # no logical type
    assert _found(_export(tmp_path, "millis"), as_rows=False) == []  # dicts: no schema
