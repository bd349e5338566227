"""BD114: a DoFn opens a data file by a path relative to the folder the script is started
from. The DirectRunner's workers run in this process, in this folder, so it works here; a
worker on a cluster (here: isolated workers, each in an empty folder) fails in setup() with
FileNotFoundError."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Classify(beam.DoFn):
    def setup(self):
        with open("files_lookup.csv") as handle:
            self.kinds = dict(line.strip().split(",") for line in handle if line.strip())

    def process(self, animal):
        yield f"{animal}={self.kinds.get(animal, 'unknown')}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["cat", "emu"])
            | "Classify" >> beam.ParDo(Classify())
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
