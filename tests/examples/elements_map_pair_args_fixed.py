"""Fixed elements_map_pair_args.py: ``beam.MapTuple`` passes the pair's fields as the
function's arguments."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("cat", 2), ("dog", 1)])
            | "Format" >> beam.MapTuple(lambda name, count: f"{name}={count}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
