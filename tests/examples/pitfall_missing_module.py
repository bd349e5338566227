"""BD403: a module imported inside process() exists nowhere; the worker raises
ModuleNotFoundError the first time the DoFn runs."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Enrich(beam.DoFn):
    def process(self, x):
        import beam_deps_no_such_module

        yield beam_deps_no_such_module.enrich(x)


with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:
    p | beam.Create([1, 2]) | "Enrich" >> beam.ParDo(Enrich()) | beam.Map(print)
