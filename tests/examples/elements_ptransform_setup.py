"""BD324: a PTransform opens its connection in ``setup()``, as a DoFn would, and its step
runs one of its methods (the shape of oppia/oppia#24934's Firebase reader). Beam calls
``setup()`` on DoFns only: on the worker ``self._app`` is still None and the step fails
with "TypeError: 'NoneType' object is not subscriptable"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def connect():
    return {"users": ["ann", "bob"]}  # stands for firebase_admin.initialize_app()


class ReadUsers(beam.PTransform):
    def __init__(self):
        super().__init__()
        self._app = None

    def setup(self):
        self._app = connect()

    def _users(self, unused):
        yield from self._app["users"]

    def expand(self, pbegin):
        return pbegin | beam.Create([None]) | beam.FlatMap(self._users)


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        p | ReadUsers() | beam.io.WriteToText(output, shard_name_template="")


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
