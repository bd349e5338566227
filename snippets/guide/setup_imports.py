"""Create resources and import what they need on the worker, in DoFn.setup()."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that, equal_to


# --8<-- [start:setup]
class Lookup(beam.DoFn):
    def __init__(self, database):
        self.database = database  # keep only what is needed to build the resource

    def setup(self):  # runs on the worker, once per DoFn instance
        import sqlite3  # imported where it is used: no need to save the main session

        self.conn = sqlite3.connect(self.database)

    def process(self, x):
        yield self.conn.execute("select ? * 2", (x,)).fetchone()[0]

    def teardown(self):
        self.conn.close()


def run(argv=None):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        doubled = p | beam.Create([1, 2, 3]) | beam.ParDo(Lookup(":memory:"))
        assert_that(doubled, equal_to([2, 4, 6]))


if __name__ == "__main__":
    run(sys.argv[1:])
# --8<-- [end:setup]
