"""BD401: `tinydist` is installed here (tests put a real distribution on PYTHONPATH) but
the worker image does not have it: ModuleNotFoundError when the payload is unpickled."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from tinydist import double

with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:
    p | beam.Create([1, 2]) | "Double" >> beam.Map(double) | beam.Map(print)
