"""dill_super_named.py fixed: `super()` with no arguments reads the class the method was
defined in (its `__class__` cell), whatever the name `Normalize` finds on the worker. Runs
with cloudpickle and dill 0.3.6+, with and without `--save_main_session` (dill 0.3.1.1 cannot
unpickle a `super()` of a script class: BD412, dill_composite_super.py)."""

import argparse
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Normalize(beam.DoFn):
    def setup(self):
        super().setup()  # the class this method belongs to
        self.strip = str.maketrans("", "", ",.!?")

    def process(self, line):
        yield line.translate(self.strip).lower()


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    known, pipeline_args = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(pipeline_args)) as p:
        (
            p
            | beam.Create(["Hello,", "World!"])
            | beam.ParDo(Normalize())
            | beam.io.WriteToText(known.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
