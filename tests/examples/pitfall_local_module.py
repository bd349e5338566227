"""BD402: a function from a module next to the script travels by reference; workers do
not have the script's folder, so they fail with ModuleNotFoundError: localhelpers."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from localhelpers import shout

with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:
    p | beam.Create(["a", "b"]) | "Shout" >> beam.Map(shout) | beam.Map(print)
