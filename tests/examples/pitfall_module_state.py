"""BD205: a DoFn appends to a module-level list and the script reads it back after the
pipeline. Each worker has its own copy: the list stays empty here."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

SEEN = []


def remember(x):
    SEEN.append(x)
    return x


with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:
    p | beam.Create([1, 2, 3]) | "Remember" >> beam.Map(remember)

print(f"SEEN has {len(SEEN)} items")
