"""The fix of elements_rowcoder_passthrough.py and elements_rowcoder_untyped.py: every step
that emits ``CommonLog`` instances says so (``.with_output_types(CommonLog)``), so each of
their PCollections takes the registered RowCoder."""

import json
import sys
import typing
from datetime import datetime

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class CommonLog(typing.NamedTuple):
    user_id: str
    timestamp: str
    num_bytes: int


beam.coders.registry.register_coder(CommonLog, beam.coders.RowCoder)


def parse_json(line):
    return CommonLog(**json.loads(line))


def add_timestamp(log):
    ts = datetime.strptime(log.timestamp, "%Y-%m-%dT%H:%M:%S").timestamp()
    return beam.window.TimestampedValue(log, ts)


EVENTS = [
    '{"user_id": "u1", "timestamp": "2024-01-01T10:00:05", "num_bytes": 10}',
    '{"user_id": "u2", "timestamp": "2024-01-01T10:00:40", "num_bytes": 20}',
    '{"user_id": "u1", "timestamp": "2024-01-01T10:01:10", "num_bytes": 30}',
]


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(EVENTS)
            | "ParseJson" >> beam.Map(parse_json).with_output_types(CommonLog)
            | "AddEventTimestamp" >> beam.Map(add_timestamp).with_output_types(CommonLog)
            | "ByMinute" >> beam.WindowInto(beam.window.FixedWindows(60))
            | "Bytes" >> beam.Map(lambda log: log.num_bytes)
            | "PerMinute" >> beam.CombineGlobally(sum).without_defaults()
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
