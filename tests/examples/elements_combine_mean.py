"""BD325: a mean per key with ``CombinePerKey(lambda vs: sum(vs) / len(vs))``. Beam calls a
combine's function with an iterable of inputs and of its own earlier results, merging partial
results with it, never with a list: the worker fails with "TypeError: object of type
'_ReiterableChain' has no len()" (and a mean of partial means would not be the mean)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("a", 1), ("a", 4), ("b", 2)])
            | "Mean" >> beam.CombinePerKey(lambda values: sum(values) / len(values))
            | beam.MapTuple(lambda key, mean: f"{key}={mean}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
