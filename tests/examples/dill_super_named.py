"""The two-argument `super(Normalize, self)`, common in code written for Python 2, in a DoFn's
`setup()`. The name is looked up when the method runs on the worker. dill 0.3.6+
(`--pickle_library=dill_unsafe`) rebuilds the class by value for the payload, and with
`--save_main_session` the loaded session puts its own copy under the name `Normalize` in the
worker's `__main__`: the worker fails with "TypeError: super(type, obj): obj must be an
instance or subtype of type" (BD311). Without the session dill finds no `Normalize` at all
(BD201), and dill 0.3.1.1 cannot unpickle the class (BD412). cloudpickle runs it."""

import argparse
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Normalize(beam.DoFn):
    def setup(self):
        super(Normalize, self).setup()  # the name is read on the worker
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
