"""BD112: one transform per column, built in a loop; each lambda reads the loop variable
``column`` when it runs, after the loop, so every transform extracts the LAST column. Nothing
fails, locally or on workers: the totals are silently wrong (price=12, qty=12)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

ROWS = [{"price": 10, "qty": 5}, {"price": 20, "qty": 7}]


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        rows = p | beam.Create(ROWS)
        totals = []
        for column in ["price", "qty"]:
            totals.append(
                rows
                | f"Get_{column}" >> beam.Map(lambda row: row[column])
                | f"Sum_{column}" >> beam.CombineGlobally(sum)
                | f"Name_{column}" >> beam.Map(lambda total, name: f"{name}={total}", column)
            )
        totals | beam.Flatten() | beam.io.WriteToText(output, shard_name_template="")


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
