"""BD330: a product list saved as latin-1 (``café``) is read with ``ReadFromText``, which
decodes each line as UTF-8. The worker fails with "UnicodeDecodeError: 'utf-8' codec can't
decode byte 0xe9"."""

import os
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    source = os.path.join(os.path.dirname(os.path.abspath(output)), "products.csv")
    with open(source, "w", encoding="latin-1") as handle:
        handle.write("café,2\ntea,3\n")
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.io.ReadFromText(source)
            | beam.Map(lambda line: line.split(",")[0])
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
