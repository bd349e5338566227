"""Fixed elements_map_print.py: beam.Map(print) is a branch of its own, where nothing reads
its Nones (as at the end of a chain), and the upper-cased words are written: A and B."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        upper = p | beam.Create(["a", "b"]) | "Upper" >> beam.Map(str.upper)
        upper | "Look" >> beam.Map(print)
        upper | beam.io.WriteToText(output, shard_name_template="")


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
