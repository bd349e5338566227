"""BD114: the path of a data file is given to the DoFn's constructor and stored on it; the
DoFn reads it with pathlib in start_bundle(). __init__ runs here, start_bundle() on the
worker, whose working folder is not this one: FileNotFoundError there."""

import pathlib
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Classify(beam.DoFn):
    def __init__(self, table):
        self.table = table

    def start_bundle(self):
        text = pathlib.Path(self.table).read_text()
        self.kinds = dict(line.split(",") for line in text.split() if line)

    def process(self, animal):
        yield f"{animal}={self.kinds.get(animal, 'unknown')}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["cat", "emu"])
            | "Classify" >> beam.ParDo(Classify("files_lookup.csv"))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
