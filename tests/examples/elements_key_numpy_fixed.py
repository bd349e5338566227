"""Fixed elements_key_numpy.py: the bucket is made a Python int (``int(np.floor(...))``),
which Beam's deterministic coder encodes natively."""

import sys

import apache_beam as beam
import numpy as np
from apache_beam.options.pipeline_options import PipelineOptions


def bucket(value):
    return int(np.floor(value / 10)), 1


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([3, 7, 12, 15, 18, 31])
            | "Bucket" >> beam.Map(bucket)
            | "Histogram" >> beam.CombinePerKey(sum)
            | "Show" >> beam.MapTuple(lambda b, n: f"{b * 10}-{b * 10 + 9}:{n}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
