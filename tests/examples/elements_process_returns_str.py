"""BD314: ``process`` returns the cleaned line, a str, where ``yield`` was meant. Beam 2.76
and newer fail on the first element ("TypeError: Returning a str from a ParDo or FlatMap is
not allowed"); older Beams iterate the string and emit its characters, one per element."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Clean(beam.DoFn):
    def process(self, line):
        return line.strip().lower()


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([" Hi ", "OK"])
            | beam.ParDo(Clean())
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
