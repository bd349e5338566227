"""BD114: the DoFn reads the lookup table through the project's own file helper
(``open_file(LOOKUP, "r")``, as oppia's ``utils.open_file`` reads ``package.json``), so the
relative path is passed to the function that opens it. The worker, in its own folder, fails
with FileNotFoundError inside the helper."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

LOOKUP = "files_lookup.csv"


def open_file(filename, mode, encoding="utf-8"):
    try:
        return open(filename, mode, encoding=encoding)
    except OSError as exc:
        raise OSError(f"Unable to open file: {filename}") from exc


def load_kinds():
    with open_file(LOOKUP, "r") as handle:
        return dict(line.strip().split(",") for line in handle if line.strip())


class Classify(beam.DoFn):
    def process(self, animal):
        yield f"{animal}={load_kinds().get(animal, 'unknown')}"


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
