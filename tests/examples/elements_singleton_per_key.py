"""BD329: each score is divided by the top score, passed as ``AsSingleton``; but the top is
computed per team (``CombinePerKey(max)``), so the side input has one element per team. The
worker fails at the first score with "ValueError: PCollection of size 2 with more than one
element accessed as a singleton view"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        scores = p | beam.Create([("red", 4), ("blue", 8), ("red", 2)])
        top = scores | beam.CombinePerKey(max) | beam.Values()
        (
            scores
            | beam.Map(
                lambda pair, best: f"{pair[0]}={pair[1] / best}",
                best=beam.pvalue.AsSingleton(top),
            )
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
