"""BD316: a regular expression's match inside the elements. The Map emits ``PAIR.match(s)``
itself; a worker encodes a sample of every output (and every element at the Reshuffle) and
the standard pickle refuses it: "TypeError: cannot pickle 're.Match' object"."""

import re
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

PAIR = re.compile(r"(\w+)=(\d+)")


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a=1", "b=2"])
            | "Parse" >> beam.Map(lambda s: PAIR.match(s))
            | beam.Reshuffle()
            | beam.Map(lambda m: "%s:%s" % (m.group(1), m.group(2)))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
