"""BD302: instances of a class defined in the script travel as Create values; Beam's
fallback coder pickles the class by reference to __main__, which on a worker is
sdk_worker_main: "Can't get attribute 'Point'"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:
    (
        p
        | beam.Create([Point(1, 2), Point(3, 4)])
        | "Sum" >> beam.Map(lambda pt: pt.x + pt.y)
        | beam.Map(print)
    )
