"""BD302 where a registered coder is not used (m19p, the shape of Google's Dataflow labs): a
NamedTuple of the script is registered with RowCoder and parsed into a PCollection typed
``CommonLog``, but the next step passes each element on in a ``TimestampedValue`` and
declares no type. Only a PCollection whose type names the class gets its RowCoder; this one
is untyped, so the worker encodes its sample of the outputs with Beam's pickling fallback:
"Can't pickle <class '__main__.CommonLog'>: attribute lookup CommonLog on __main__ failed"."""

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
            | "AddEventTimestamp" >> beam.Map(add_timestamp)
            | "ByMinute" >> beam.WindowInto(beam.window.FixedWindows(60))
            | "Bytes" >> beam.Map(lambda log: log.num_bytes)
            | "PerMinute" >> beam.CombineGlobally(sum).without_defaults()
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
