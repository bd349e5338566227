"""A composite transform whose closure made in expand() calls a method of the transform,
which calls a helper of the script's base transform (``self.normalise``) inside a list
comprehension.

The worker code is the lambda; it reaches the helper through ``self`` held in its closure,
then through the method's ``self`` (a cell before Python 3.12, since the comprehension reads
it). dill 0.3.6 and newer (``--pickle_library=dill_unsafe``) rebuild ``Scores`` from the
``__orig_bases__`` it inherits from ``beam.PTransform``, without ``NumberTransform``: "'Scores'
object has no attribute 'normalise'", with or without --save_main_session (BD307).
cloudpickle and dill 0.3.1.1 keep the bases: it runs. Fixed: dill_ptransform_base_fixed.py
(the helper defined on the class itself)."""

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class NumberTransform(beam.PTransform):
    """The script's base for its numeric transforms: shared helpers."""

    def normalise(self, value):
        return round(float(value) / 10, 1)


class Scores(NumberTransform):
    def parse(self, line):
        return [self.normalise(v) for v in line.split(",")]  # runs on the workers

    def expand(self, pcoll):
        return pcoll | beam.FlatMap(lambda line: self.parse(line))


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    known, pipeline_args = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(pipeline_args)) as p:
        (
            p
            | beam.Create(["10,25", "7"])
            | Scores()
            | beam.Map(str)
            | beam.io.WriteToText(known.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
