"""Fixed state_launch_int_digits.py: the limit is lifted where the code runs, in the DoFn's
setup(), once per worker process."""

import argparse
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Digits(beam.DoFn):
    def setup(self):
        sys.set_int_max_str_digits(0)  # on the worker

    def process(self, n):
        yield f"{n}:{len(str(10**n))}"


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    args, beam_args = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        (
            p
            | beam.Create([10, 5000])
            | beam.ParDo(Digits())
            | beam.io.WriteToText(args.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
