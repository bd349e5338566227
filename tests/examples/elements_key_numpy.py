"""BD310: numpy scalars as grouping keys. A histogram keys each value by ``np.floor(v / 10)``,
a numpy.float64. Beam encodes keys with its deterministic coder, which has no way for numpy
scalars: Beam 2.68 and newer fail ("Unable to deterministically encode '1.0' of type
'<class 'numpy.float64'>', please provide a type hint for the input of
'Histogram/GroupByKey'"); older Beam encodes them by their empty state, so every bucket
arrives as 0.0 and all values land in one bucket, silently."""

import sys

import apache_beam as beam
import numpy as np
from apache_beam.options.pipeline_options import PipelineOptions


def bucket(value):
    return np.floor(value / 10), 1


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([3, 7, 12, 15, 18, 31])
            | "Bucket" >> beam.Map(bucket)
            | "Histogram" >> beam.CombinePerKey(sum)
            | "Show" >> beam.MapTuple(lambda b, n: f"{int(b) * 10}-{int(b) * 10 + 9}:{n}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
