"""An Enum defined in the pipeline script, used as an element between stages."""

import enum
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


# --8<-- [start:problem]
class Color(enum.Enum):
    RED = 1
    BLUE = 2


def run(argv=None):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([1, 2])
            | beam.Map(lambda n: Color(n))
            | beam.Reshuffle()  # elements are encoded here, with the standard pickle
            | beam.Map(lambda c: c is Color.RED)
        )


if __name__ == "__main__":
    run(sys.argv[1:])
# --8<-- [end:problem]
