"""A small pipeline used by the quickstart: `beam-deps check` finds nothing wrong with it."""

import re
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

LINES = ["to be or not to be", "that is the question"]


# --8<-- [start:pipeline]
class CountWords(beam.PTransform):
    def expand(self, lines):
        return (
            lines
            | beam.FlatMap(lambda line: re.findall(r"[a-z']+", line))
            | beam.combiners.Count.PerElement()
        )


def run(argv=None):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(LINES)
            | CountWords()
            | beam.combiners.Top.Of(3, key=lambda kv: (kv[1], kv[0]))
            | beam.Map(print)
        )


if __name__ == "__main__":
    run(sys.argv[1:])
# --8<-- [end:pipeline]
