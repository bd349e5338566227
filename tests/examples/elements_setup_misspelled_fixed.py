"""Fixed elements_setup_misspelled.py: the method is ``setup``, the name Beam calls once per
DoFn instance on the worker."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Enrich(beam.DoFn):
    def setup(self):
        self.table = {"a": "apple", "b": "banana"}

    def process(self, key):
        yield f"{key}:{self.table.get(key, '?')}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a", "b"])
            | beam.ParDo(Enrich())
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
