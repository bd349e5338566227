"""Fixed: the read is told the file is not compressed
(``compression_type=CompressionTypes.UNCOMPRESSED``): the worker writes CAT and DOG."""

import os
import sys

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    source = os.path.join(os.path.dirname(os.path.abspath(output)), "export.txt.gz")
    with open(source, "w") as handle:
        handle.write("cat\ndog\n")
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.io.ReadFromText(source, compression_type=CompressionTypes.UNCOMPRESSED)
            | beam.Map(str.upper)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
