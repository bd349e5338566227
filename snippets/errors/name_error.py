"""With the dill pickler, a function's globals are looked up in the worker's __main__."""

import json
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

# --8<-- [start:problem]
PREFIX = "id-"


def label(x):
    encoded = json.dumps(x)  # works on the worker, by accident: sdk_worker_main imports json
    return PREFIX + encoded  # NameError on the worker: PREFIX is not in its __main__


def run(argv=None):
    options = PipelineOptions(argv, pickle_library="dill")
    with beam.Pipeline(options=options) as p:
        p | beam.Create([1, 2]) | beam.Map(label)


if __name__ == "__main__":
    run(sys.argv[1:])
# --8<-- [end:problem]
