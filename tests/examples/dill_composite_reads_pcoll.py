"""BD111 (true, issue 14 item 3): a closure made in a composite's expand() reads the
PCollection the transform holds when it runs; on the worker that is only a placeholder
("'_InvalidUnpickledPCollection' object is not iterable")."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class ScaleBy(beam.PTransform):
    def __init__(self, factors):
        beam.PTransform.__init__(self)
        self.factors = factors  # a PCollection

    def expand(self, pcoll):
        def scale(x):
            return [x * f for f in self.factors]  # reads the PCollection on the worker

        return pcoll | beam.Map(scale)


with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:
    factors = p | "Factors" >> beam.Create([2, 3])
    p | beam.Create([1, 2]) | ScaleBy(factors) | beam.Map(print)
