"""BD114: the lookup table is read with ``ReadFromText`` by a path relative to the folder the
script is started from. Beam checks the path there, while the pipeline is built, and finds it;
the worker matches it again in its own working folder, where nothing matches. Nothing fails:
the read gives no line, and the job succeeds with an empty output."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | "Table" >> beam.io.ReadFromText("files_lookup.csv")
            | "Kinds" >> beam.Map(lambda line: line.replace(",", "="))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
