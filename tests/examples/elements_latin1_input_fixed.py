"""Fixed: the lines are read as bytes (``coder=coders.BytesCoder()``) and decoded as
latin-1 in a Map: the worker writes café and tea."""

import os
import sys

import apache_beam as beam
from apache_beam import coders
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    source = os.path.join(os.path.dirname(os.path.abspath(output)), "products.csv")
    with open(source, "w", encoding="latin-1") as handle:
        handle.write("café,2\ntea,3\n")
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.io.ReadFromText(source, coder=coders.BytesCoder())
            | beam.Map(lambda line: line.decode("latin-1").split(",")[0])
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
