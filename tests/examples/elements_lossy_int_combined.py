"""elements_lossy_int.py with a combine per key in place of the GroupByKey: the same wrong
declaration (Tuple[str, int] for a float), but the runner lifts the combine before its shuffle,
so the floats are summed as floats and what crosses the shuffle is the accumulators: the
results are right (a=3.0, b=1.5) and check says nothing (no BD306)."""

import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def halve(kv) -> typing.Tuple[str, int]:
    return kv[0], kv[1] / 2


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("a", 5), ("a", 1), ("b", 3)])
            | "Halve" >> beam.Map(halve)
            | "Sum" >> beam.CombinePerKey(sum)
            | beam.MapTuple(lambda k, total: f"{k}={total}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
