"""Fixed state_launch_seed.py: the seed travels with the DoFn, and each element draws from
a generator of its own, seeded from the seed and the element. The numbers are the same on
every run, on any worker, in any bundle order."""

import argparse
import random

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Sample(beam.DoFn):
    def __init__(self, seed):
        self.seed = seed

    def process(self, name):
        rng = random.Random(f"{self.seed}:{name}")
        yield f"{name}:{rng.randint(0, 10**9)}"


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=42)
    args, beam_args = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        (
            p
            | beam.Create(["a", "b"])
            | beam.ParDo(Sample(args.seed))
            | beam.io.WriteToText(args.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
