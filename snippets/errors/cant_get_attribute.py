"""Instances of a class from the pipeline script, created on your machine, read on a worker."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


# --8<-- [start:problem]
class Account:
    def __init__(self, name):
        self.name = name


def run(argv=None):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        # Create encodes its values at submission, with the standard pickle:
        # the class is recorded by name, as __main__.Account
        p | beam.Create([Account("alice")]) | beam.Map(lambda a: a.name)


if __name__ == "__main__":
    run(sys.argv[1:])
# --8<-- [end:problem]
