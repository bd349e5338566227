"""Fixed elements_singleton_per_key.py: the top score over all teams is one element."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        scores = p | beam.Create([("red", 4), ("blue", 8), ("red", 2)])
        top = scores | beam.Values() | beam.CombineGlobally(max)
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
