"""The fix of elements_key_date_variable.py: the key is the day as text
(``ts.date().isoformat()``), which the deterministic coder encodes."""

import datetime
import json
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def parse(raw):
    record = json.loads(raw)
    ts = datetime.datetime.strptime(record["ts"], "%Y-%m-%dT%H:%M:%S")
    return ts.date().isoformat(), record["amount"]


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(
                [
                    '{"ts": "2024-01-01T10:00:00", "amount": 10}',
                    '{"ts": "2024-01-01T23:59:59", "amount": 5}',
                    '{"ts": "2024-01-02T00:00:01", "amount": 3}',
                ]
            )
            | "Parse" >> beam.Map(parse)
            | "Group" >> beam.GroupByKey()
            | "Show" >> beam.MapTuple(lambda day, amounts: f"{day}={sum(amounts)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
