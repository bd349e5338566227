"""BD323: ``beam.Map`` over (key, value) pairs with a two-argument lambda. Map calls its
function with the element, one argument, so the worker fails at the first pair:
"TypeError: run.<locals>.<lambda>() missing 1 required positional argument: 'count'"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("cat", 2), ("dog", 1)])
            | "Format" >> beam.Map(lambda name, count: f"{name}={count}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
