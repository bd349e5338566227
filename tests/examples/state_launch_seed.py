"""BD207: the script seeds Python's random generator while it builds the pipeline
(random.seed(42)) so that the sample it draws is reproducible. That seeds this process's
generator only: a worker is another process whose generator is seeded from the operating
system, so every run writes other numbers, none of them the seeded ones. No error anywhere."""

import argparse
import random

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Sample(beam.DoFn):
    def process(self, name):
        yield f"{name}:{random.randint(0, 10**9)}"


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=42)
    args, beam_args = parser.parse_known_args(argv)
    random.seed(args.seed)  # this process only
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        (
            p
            | beam.Create(["a", "b"])
            | beam.ParDo(Sample())
            | beam.io.WriteToText(args.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
