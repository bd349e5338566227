"""Fixed elements_combine_mean.py: Beam's own ``Mean.PerKey()`` keeps a sum and a count per
key and merges those, so the mean is the whole's."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("a", 1), ("a", 4), ("b", 2)])
            | "Mean" >> beam.combiners.Mean.PerKey()
            | beam.MapTuple(lambda key, mean: f"{key}={mean}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
