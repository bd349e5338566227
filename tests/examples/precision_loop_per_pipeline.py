"""BD112 precision (review of this change): one pipeline per ``day``, built and run inside
the loop: its transforms all read the ``day`` it runs with, which is right. (The inner loop
binds ``column`` with a default argument.) No BD112."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

ROWS = [{"price": 10, "qty": 5}, {"price": 20, "qty": 7}]

if __name__ == "__main__":
    output, argv = sys.argv[1], sys.argv[2:]
    for day in ["2024-01-01", "2024-01-02"]:
        with beam.Pipeline(options=PipelineOptions(argv)) as p:
            rows = p | beam.Create(ROWS)
            totals = []
            for column in ["price", "qty"]:
                totals.append(
                    rows
                    | f"Get_{column}" >> beam.Map(lambda row, c=column: row[c])
                    | f"Sum_{column}" >> beam.CombineGlobally(sum)
                    | f"Name_{column}" >> beam.Map(lambda total, c=column: f"{day} {c}={total}")
                )
            totals | beam.Flatten() | beam.io.WriteToText(f"{output}-{day}", shard_name_template="")
