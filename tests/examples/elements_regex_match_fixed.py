"""BD316, fixed: the Map emits the match's groups, a tuple of strings, not the match."""

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
            | "Parse" >> beam.Map(lambda s: PAIR.match(s).groups())
            | beam.Reshuffle()
            | beam.MapTuple(lambda name, n: "%s:%s" % (name, n))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
