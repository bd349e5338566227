"""An instance of a class that was defined again after the instance was made."""

import dataclasses
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


# --8<-- [start:problem]
@dataclasses.dataclass
class Point:
    x: int


origin = Point(0)


@dataclasses.dataclass  # the same cell run again in a notebook, or a module reloaded
class Point:
    x: int


def run(argv=None):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        p | beam.Create([origin]) | beam.Map(print)  # `origin` is not a current Point


if __name__ == "__main__":
    run(sys.argv[1:])
# --8<-- [end:problem]
