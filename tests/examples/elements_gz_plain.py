"""BD330: an export is plain text saved under a ``.gz`` name. ``ReadFromText`` picks the
decompression from the name, and the worker fails reading it with "zlib.error: Error -3
while decompressing data: incorrect header check"."""

import os
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    source = os.path.join(os.path.dirname(os.path.abspath(output)), "export.txt.gz")
    with open(source, "w") as handle:
        handle.write("cat\ndog\n")
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.io.ReadFromText(source)
            | beam.Map(str.upper)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
