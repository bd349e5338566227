"""BD328: sales arrive as dicts (as from ``json.loads``) and are summed per region with
``beam.GroupBy("region").aggregate_field("amount", sum, "total")``. A string field is read as
an attribute of each element, which a dict does not have: the worker fails with
"AttributeError: 'dict' object has no attribute 'region'"."""

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
            | beam.GroupBy("region").aggregate_field("amount", sum, "total")
            | beam.Map(lambda row: f"{row.region}={row.total}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
