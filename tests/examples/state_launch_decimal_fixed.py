"""Fixed state_launch_decimal.py: the precision travels with the transform as an argument
and is applied where the code runs (decimal.localcontext), so the workers write 4 digits."""

import argparse
import decimal

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def share(amount, precision):
    with decimal.localcontext() as context:
        context.prec = precision
        return str(decimal.Decimal(amount) / decimal.Decimal(3))


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--precision", type=int, default=28)
    args, beam_args = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        (
            p
            | beam.Create([1, 2])
            | "Share" >> beam.Map(share, precision=args.precision)
            | beam.io.WriteToText(args.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
