"""BD207: the script lifts Python's limit on the digits of int text while it builds the
pipeline (sys.set_int_max_str_digits(0), Python 3.11+). That is this process's limit only:
a worker is another process that keeps 4300 digits, and turning 10**5000 into text fails
there with "Exceeds the limit (4300 digits) for integer string conversion"."""

import argparse
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def digits(n):
    return f"{n}:{len(str(10**n))}"


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    args, beam_args = parser.parse_known_args(argv)
    sys.set_int_max_str_digits(0)  # this process only
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        (
            p
            | beam.Create([10, 5000])
            | beam.Map(digits)
            | beam.io.WriteToText(args.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
