"""BD308 as a warning: to_pair() is declared to return Tuple[str, int] and reads the amount
with row.get("amount"), None for a row without it; only the data decides, so check warns.
This data has such a row, and the worker fails with "TypeError: an integer is required"."""

import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

ROWS = [{"shop": "a", "amount": 1}, {"shop": "a"}, {"shop": "b", "amount": 5}]


def to_pair(row) -> typing.Tuple[str, int]:
    return row["shop"], row.get("amount")


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(ROWS)
            | "Pair" >> beam.Map(to_pair)
            | "ByShop" >> beam.GroupByKey()
            | "Show" >> beam.MapTuple(lambda k, vs: f"{k}={sum(v or 0 for v in vs)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
