"""BD114: the lookup file's path comes from the script's own argument (``--lookup``, a
relative path by default) and reaches the worker in the closure of a function built in
``run()``. The closure is pickled with its value, so the worker opens the same relative path
in its own working folder: FileNotFoundError."""

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--lookup", default="files_lookup.csv")
    args, beam_args = parser.parse_known_args(argv)
    lookup = args.lookup

    def classify(animal):
        with open(lookup) as handle:
            kinds = dict(line.strip().split(",") for line in handle if line.strip())
        return f"{animal}={kinds.get(animal, 'unknown')}"

    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        (
            p
            | beam.Create(["cat", "emu"])
            | "Classify" >> beam.Map(classify)
            | beam.io.WriteToText(args.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
