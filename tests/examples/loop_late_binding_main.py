"""BD112 at the script's top level: the pipeline is built under `if __name__ == "__main__":`,
so the loop variable `column` is a global, and every lambda made in the loop reads that one
global when it runs, after the loop: every transform extracts the LAST column (price=12,
qty=12). cloudpickle carries the global's last value, and so does dill's main session;
nothing fails, the totals are silently wrong."""

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
                | f"Get_{column}" >> beam.Map(lambda row: row[column])
                | f"Sum_{column}" >> beam.CombineGlobally(sum)
                | f"Name_{column}" >> beam.Map(lambda total, name: f"{name}={total}", column)
            )
        totals | beam.Flatten() | beam.io.WriteToText(output, shard_name_template="")
