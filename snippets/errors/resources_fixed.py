"""The fix: keep what is needed to build the resource; build it in setup()."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that, equal_to


# --8<-- [start:fix]
class WriteAudit(beam.DoFn):
    def __init__(self, path):
        self.path = path  # a string pickles; an open file does not

    def setup(self):
        self.out = open(self.path, "a")  # opened on the worker

    def process(self, record):
        self.out.write(f"{record}\n")
        yield record

    def teardown(self):
        self.out.close()


# --8<-- [end:fix]


def run(argv=None):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        written = p | beam.Create([1, 2]) | beam.ParDo(WriteAudit("audit.log"))
        assert_that(written, equal_to([1, 2]))


if __name__ == "__main__":
    run(sys.argv[1:])
