"""Fixed pitfall_pcollection_in_lambda.py: the allowed values reach the lambda as a side
input (``beam.pvalue.AsList``), a list on the worker."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        allowed = p | "Allowed" >> beam.Create(["a", "c"])
        (
            p
            | "Events" >> beam.Create(["a", "b", "c"])
            | "Keep" >> beam.Filter(lambda e, keep: e in keep, beam.pvalue.AsList(allowed))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
