"""With dill and --save_main_session, a class of the script reaches the worker twice."""

import dataclasses
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


# --8<-- [start:problem]
@dataclasses.dataclass
class Point:
    x: int


class Shift(beam.DoFn):
    def __init__(self):
        self.origin = Point(0)  # dill pickles Point by value, inside the DoFn

    def process(self, n):
        yield self.origin


def run(argv=None):
    options = PipelineOptions(argv, pickle_library="dill", save_main_session=True)
    with beam.Pipeline(options=options) as p:
        (
            p
            | beam.Create([1])
            | beam.ParDo(Shift())
            | beam.Reshuffle()  # encoded with the standard pickle: by name, __main__.Point
            | beam.Map(lambda point: point.x)
        )


if __name__ == "__main__":
    run(sys.argv[1:])
# --8<-- [end:problem]
