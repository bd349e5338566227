"""The fix for ``elements_avro_timestamp_rows.py``: read the records as dicts and build the
rows in a Map, the timestamp as milliseconds. The job writes ``u1=2.0`` and ``u2=1.0``."""

import datetime
import os
import sys

import apache_beam as beam
import fastavro
from apache_beam.options.pipeline_options import PipelineOptions

SCHEMA = {
    "type": "record",
    "name": "events",
    "fields": [
        {"name": "user", "type": "string"},
        {"name": "event_ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "amount", "type": "double"},
    ],
}


def write_export(path):
    start = datetime.datetime(2024, 6, 1, tzinfo=datetime.timezone.utc)
    records = [
        {"user": user, "event_ts": start + datetime.timedelta(minutes=i), "amount": float(i)}
        for i, user in enumerate(["u1", "u2", "u1"])
    ]
    with open(path, "wb") as handle:
        fastavro.writer(handle, fastavro.parse_schema(SCHEMA), records)


def to_row(record):
    millis = int(record["event_ts"].timestamp() * 1000)
    return beam.Row(user=record["user"], event_ms=millis, amount=record["amount"])


def run(output, argv):
    export = os.path.join(os.path.dirname(os.path.abspath(output)), "events.avro")
    write_export(export)
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | "Read" >> beam.io.ReadFromAvro(export)
            | "ToRow" >> beam.Map(to_row)
            | beam.GroupBy("user").aggregate_field("amount", sum, "total")
            | beam.Map(lambda row: f"{row.user}={row.total}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
