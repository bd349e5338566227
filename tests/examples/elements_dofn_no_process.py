"""BD324: the DoFn's logic is in a method named after what it does, as a Map's function
would be (Stack Overflow 56502093, "Why Map works and ParDo doesn't?"). Beam calls
``process`` by that exact name, and DoFn's own raises: the worker fails on the first element
with "NotImplementedError"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class AddInterest(beam.DoFn):
    def add_interest(self, balance):
        yield round(balance * 1.05, 2)


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([100.0, 200.0])
            | "Interest" >> beam.ParDo(AddInterest())
            | beam.Map(str)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
