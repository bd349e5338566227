"""dill_composite_self.py with the usual `super().__init__()`: dill 0.3.1.1 pickles the
class by value, but its methods' `__class__` cell (what `super()` reads) refers back to it
by name, so the worker fails with "Can't get attribute 'ScaleBy' on <module
'apache_beam.runners.worker.sdk_worker_main'>" (BD412, a true error). Newer dill and
cloudpickle carry it, and check reports nothing there."""

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class ScaleBy(beam.PTransform):
    def __init__(self, factors, offset):
        super().__init__()
        self.factors = factors  # a PCollection: used by expand() only
        self.offset = offset

    def shift(self, x):
        return x + self.offset

    def expand(self, pcoll):
        def scale(x, factors):
            return self.shift(x * max(factors))

        return pcoll | beam.Map(scale, beam.pvalue.AsList(self.factors))


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    known, pipeline_args = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(pipeline_args)) as p:
        factors = p | "Factors" >> beam.Create([2, 3])
        (
            p
            | beam.Create([1, 2])
            | ScaleBy(factors, 10)
            | beam.Map(str)
            | beam.io.WriteToText(known.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
