"""A pipeline using a local module that nothing ships to the workers."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

# --8<-- [start:problem]
from enrich_utils import normalise  # a file next to this script


def run(argv=None):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        p | beam.Create([" Alice ", "BOB"]) | beam.Map(normalise)


if __name__ == "__main__":
    run(sys.argv[1:])
# --8<-- [end:problem]
