"""The fix for BD324 on a DoFn without ``process``: the method has the name Beam calls, so
the interest is added: ``105.0`` and ``210.0``."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class AddInterest(beam.DoFn):
    def process(self, balance):
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
