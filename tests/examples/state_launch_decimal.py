"""BD207: the script sets the decimal precision from its arguments while it builds the
pipeline (decimal.getcontext().prec = 4). The workers are other processes with the default
context (28 digits): every share is written with 28 digits although the job was started
with --precision 4. No error anywhere: the results are silently different."""

import argparse
import decimal

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def share(amount):
    return str(decimal.Decimal(amount) / decimal.Decimal(3))


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--precision", type=int, default=28)
    args, beam_args = parser.parse_known_args(argv)
    decimal.getcontext().prec = args.precision  # this process (and thread) only
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        (
            p
            | beam.Create([1, 2])
            | "Share" >> beam.Map(share)
            | beam.io.WriteToText(args.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
