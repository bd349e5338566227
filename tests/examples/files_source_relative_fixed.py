"""Fixed files_source_relative: the path is made absolute where the pipeline is built
(``os.path.abspath``), so workers on this machine read the same file; on a cluster, put it
where every worker reads (a ``gs://`` path)."""

import os
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    table = os.path.abspath("files_lookup.csv")
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | "Table" >> beam.io.ReadFromText(table)
            | "Kinds" >> beam.Map(lambda line: line.replace(",", "="))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
