"""Fixed loop_late_binding.py: the column is bound when each lambda is made (a default
argument; ``functools.partial`` or ``beam.Map(f, column)`` do the same), so each transform
extracts its own column (price=30, qty=12)."""

import functools
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

ROWS = [{"price": 10, "qty": 5}, {"price": 20, "qty": 7}]


def pick(row, column):
    return row[column]


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        rows = p | beam.Create(ROWS)
        totals = []
        for column in ["price", "qty"]:
            totals.append(
                rows
                | f"Get_{column}" >> beam.Map(lambda row, column=column: row[column])
                | f"Sum_{column}" >> beam.CombineGlobally(sum)
                | f"Name_{column}" >> beam.Map(lambda total, name: f"{name}={total}", column)
            )
        for column in ["price", "qty"]:  # the same, with functools.partial
            totals.append(
                rows
                | f"Partial_{column}" >> beam.Map(functools.partial(pick, column=column))
                | f"PSum_{column}" >> beam.CombineGlobally(sum)
                | f"PName_{column}" >> beam.Map(lambda total, name: f"p{name}={total}", column)
            )
        totals | beam.Flatten() | beam.io.WriteToText(output, shard_name_template="")


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
