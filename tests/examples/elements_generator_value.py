"""BD316: a generator inside an element. ``process`` pairs each key with a generator
expression; Beam infers an iterable type for it, and its coder *iterates* the generator when
the element counters sample it and at the GroupByKey, so the other side gets it empty:
``a=`` and ``b=`` instead of ``a=x,y`` and ``b=z``, with no error anywhere."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Tokens(beam.DoFn):
    def process(self, line):
        key, text = line.split(":")
        yield key, (w.lower() for w in text.split())


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a:X Y", "b:Z"])
            | beam.ParDo(Tokens())
            | beam.GroupByKey()
            | beam.MapTuple(lambda k, gens: "%s=%s" % (k, ",".join(w for g in gens for w in g)))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
