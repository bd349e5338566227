"""A DoFn whose `__init__` and factory classmethod read globals of the script, while the
code the worker runs reads only the DoFn's own state. Beam pickles the DoFn after
`__init__` ran, and the worker never calls `__init__` or the factory again, so under dill,
without `--save_main_session` (where those globals are undefined on the worker), the job
still runs: no BD201. The staticmethod `clip` is called by `process`, so it is worker
code, and reads builtins only."""

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

DEFAULT_FACTOR = 3
PRESETS = {"double": 2, "triple": 3}


class ScaleFn(beam.DoFn):
    def __init__(self, factor=None, limit=100):
        self.factor = factor or DEFAULT_FACTOR
        self.limit = limit

    @classmethod
    def from_preset(cls, name):
        return cls(PRESETS[cls.normalize(name)])

    @staticmethod
    def normalize(name):
        return name.strip().lower()

    @staticmethod
    def clip(value, limit):
        return min(value, limit)

    def process(self, x):
        yield str(self.clip(x * self.factor, self.limit))


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    known, rest = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(rest)) as p:
        numbers = p | beam.Create([1, 2, 40])
        (
            numbers
            | "Preset" >> beam.ParDo(ScaleFn.from_preset(" Double "))
            | "WritePreset" >> beam.io.WriteToText(known.output + "-preset", shard_name_template="")
        )
        (
            numbers
            | "Default" >> beam.ParDo(ScaleFn(limit=50))
            | "WriteDefault"
            >> beam.io.WriteToText(known.output + "-default", shard_name_template="")
        )


if __name__ == "__main__":
    run()
