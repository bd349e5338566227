"""BD114: the DoFn gets the lookup file's path as an extra argument of its step
(``ParDo(Classify(), args.lookup)``, the script's relative ``--lookup``); Beam passes it to
``process()`` on the worker, which opens it in its own working folder: FileNotFoundError."""

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Classify(beam.DoFn):
    def process(self, animal, lookup):
        with open(lookup) as handle:
            kinds = dict(line.strip().split(",") for line in handle if line.strip())
        yield f"{animal}={kinds.get(animal, 'unknown')}"


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--lookup", default="files_lookup.csv")
    args, beam_args = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        (
            p
            | beam.Create(["cat", "emu"])
            | "Classify" >> beam.ParDo(Classify(), args.lookup)
            | beam.io.WriteToText(args.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
