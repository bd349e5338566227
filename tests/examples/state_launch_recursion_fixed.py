"""Fixed state_launch_recursion.py: the limit is raised where the code runs, in the DoFn's
setup(), once per worker process."""

import argparse
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def depth(n):
    return 0 if n == 0 else 1 + depth(n - 1)


class Depth(beam.DoFn):
    def setup(self):
        sys.setrecursionlimit(10000)  # on the worker

    def process(self, n):
        yield f"{n}:{depth(n)}"


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    args, beam_args = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        (
            p
            | beam.Create([5, 3000])
            | beam.ParDo(Depth())
            | beam.io.WriteToText(args.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
