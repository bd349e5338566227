"""The fix for ``elements_ptransform_setup.py``: the reading moves into a DoFn, whose
``setup()`` Beam calls on each worker. The job writes ``ann`` and ``bob``."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def connect():
    return {"users": ["ann", "bob"]}  # stands for firebase_admin.initialize_app()


class ReadUsersFn(beam.DoFn):
    def setup(self):
        self._app = connect()

    def process(self, unused):
        yield from self._app["users"]


class ReadUsers(beam.PTransform):
    def expand(self, pbegin):
        return pbegin | beam.Create([None]) | beam.ParDo(ReadUsersFn())


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        p | ReadUsers() | beam.io.WriteToText(output, shard_name_template="")


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
