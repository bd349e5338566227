"""The fix of loop_late_binding_main.py: a default argument (`column=column`) binds the
column when each lambda is made, so each transform extracts its own column (price=30,
qty=12)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

ROWS = [{"price": 10, "qty": 5}, {"price": 20, "qty": 7}]

if __name__ == "__main__":
    output, argv = sys.argv[1], sys.argv[2:]
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
        totals | beam.Flatten() | beam.io.WriteToText(output, shard_name_template="")
