"""No BD310: numpy integers as keys, but the pair's type is declared (``Tuple[int, int]``), so
the keys take Beam's integer coder, which encodes a numpy.int64 as the int it holds."""

import sys
from typing import Tuple

import apache_beam as beam
import numpy as np
from apache_beam.options.pipeline_options import PipelineOptions


def parity(value) -> Tuple[int, int]:
    return np.int64(value % 2), 1


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([1, 2, 3, 4, 5])
            | "Parity" >> beam.Map(parity)
            | "Count" >> beam.CombinePerKey(sum)
            | "Show" >> beam.MapTuple(lambda k, n: f"{k}:{n}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
