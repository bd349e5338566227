"""BD306: halve() is declared to return Tuple[str, int] but returns a float; Beam picks
VarIntCoder from the declared type, and the shuffle truncates every value without an error
(a=2 instead of a=3.0: 2.5 and 0.5 arrive as 2 and 0)."""

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
            | "ByKey" >> beam.GroupByKey()
            | "Sum" >> beam.MapTuple(lambda k, vs: f"{k}={sum(vs)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
