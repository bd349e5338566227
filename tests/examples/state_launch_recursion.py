"""BD207 (a warning): the script raises the recursion limit while it builds the pipeline
(sys.setrecursionlimit(10000)) because its tree walk recurses deeper than 1000 calls. That
is this process's limit only: a worker is another process with the default limit of 1000,
and the deep element fails there with RecursionError."""

import argparse
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def depth(n):
    return 0 if n == 0 else 1 + depth(n - 1)


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    args, beam_args = parser.parse_known_args(argv)
    sys.setrecursionlimit(10000)  # this process only
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        (
            p
            | beam.Create([5, 3000])
            | beam.Map(lambda n: f"{n}:{depth(n)}")
            | beam.io.WriteToText(args.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
