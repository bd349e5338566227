"""BD324: the DoFn prepares its lookup table in ``setUp``, unittest's spelling. Beam calls
``setup`` by that exact name and never calls ``setUp``, so on the worker ``process`` fails:
"AttributeError: 'Enrich' object has no attribute 'table'"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Enrich(beam.DoFn):
    def setUp(self):  # noqa: N802 - the slip this example shows
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
