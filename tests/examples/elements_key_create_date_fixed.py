"""The fix of elements_key_create_date.py: the days go in as text (``isoformat()``), which
the deterministic coder encodes."""

import datetime
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

SALES = [
    (datetime.date(2024, 1, 1), 10),
    (datetime.date(2024, 1, 1), 5),
    (datetime.date(2024, 1, 2), 3),
]


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([(day.isoformat(), amount) for day, amount in SALES])
            | "Group" >> beam.GroupByKey()
            | "Show" >> beam.MapTuple(lambda day, amounts: f"{day}={sum(amounts)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
