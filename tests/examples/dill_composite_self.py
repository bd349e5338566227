"""A composite transform that holds a PCollection (its side input) and builds a closure
over `self` in expand() (issue 14 item 3). The PCollection is only used while the pipeline
is built: on the worker the closure reads self.offset and calls self.shift(), never
self.factors, and expand() and __init__ never run there. No BD111, no BD201, with
cloudpickle and with dill (0.3.1.1 and newer), with or without --save_main_session.
(PTransform.__init__ is called by name: with dill 0.3.1.1 a `super()` call makes the class
fail to unpickle, see dill_composite_super.py.)"""

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class ScaleBy(beam.PTransform):
    def __init__(self, factors, offset):
        beam.PTransform.__init__(self)
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
