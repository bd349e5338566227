"""BD201 / BD202 (dill only): with --pickle_library=dill a function defined in the script
looks its globals up in the worker's __main__ (sdk_worker_main). FACTOR is undefined
there (NameError); `json` works only because sdk_worker_main imports json."""

import json
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

FACTOR = 3


def scale(x):
    return json.dumps(x * FACTOR)


with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:
    p | beam.Create([1, 2]) | "Scale" >> beam.Map(scale) | beam.Map(print)
