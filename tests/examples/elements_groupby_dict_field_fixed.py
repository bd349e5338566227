"""Fixed elements_groupby_dict_field.py: each dict becomes a ``beam.Row`` first, whose
fields are attributes, so GroupBy and aggregate_field can read them."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

SALES = [
    {"region": "eu", "amount": 3},
    {"region": "us", "amount": 5},
    {"region": "eu", "amount": 4},
]


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(SALES)
            | "Rows" >> beam.Map(lambda sale: beam.Row(**sale))
            | beam.GroupBy("region").aggregate_field("amount", sum, "total")
            | beam.Map(lambda row: f"{row.region}={row.total}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
