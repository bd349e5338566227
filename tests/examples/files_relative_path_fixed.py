"""BD114 fixed: the table is read while the pipeline is built and reaches the workers as a
side input (beam.pvalue.AsDict): nothing on the worker opens a file of this machine."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def classify(animal, kinds):
    return f"{animal}={kinds.get(animal, 'unknown')}"


def run(output, argv):
    with open("files_lookup.csv") as handle:  # here, at construction: fine
        rows = [tuple(line.strip().split(",")) for line in handle if line.strip()]
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        kinds = p | "Table" >> beam.Create(rows)
        (
            p
            | beam.Create(["cat", "emu"])
            | "Classify" >> beam.Map(classify, kinds=beam.pvalue.AsDict(kinds))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
