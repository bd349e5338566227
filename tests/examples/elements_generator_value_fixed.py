"""BD316, fixed: the element holds a list (a list comprehension), which the coder encodes
and decodes whole. A generator that Beam iterates itself, as what a FlatMap returns, is
fine."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Tokens(beam.DoFn):
    def process(self, line):
        key, text = line.split(":")
        yield key, [w.lower() for w in text.split()]


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a:X Y", "b:Z"])
            | beam.ParDo(Tokens())
            | beam.GroupByKey()
            | beam.MapTuple(lambda k, lists: "%s=%s" % (k, ",".join(w for g in lists for w in g)))
            | "Letters" >> beam.FlatMap(lambda text: (c for c in text.split("=")[1] if c != ","))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
