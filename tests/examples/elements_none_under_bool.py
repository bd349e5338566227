"""BD306: flag() is declared to return Tuple[str, bool] and gives None for a line without
an answer; Beam picks BooleanCoder for it, and the shuffle gives None back as False
without an error (a=[False, True]: the unanswered line reads as "no")."""

import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def flag(line) -> typing.Tuple[str, bool]:
    name, _, answer = line.partition(",")
    return name, (answer == "y") if answer else None


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a,y", "a", "b,n"])
            | "Flag" >> beam.Map(flag)
            | "ByKey" >> beam.GroupByKey()
            | "Show" >> beam.MapTuple(lambda k, vs: f"{k}={sorted(vs, key=str)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
