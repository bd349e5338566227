"""Fixed: the answer is declared Optional[bool] (NullableCoder): None stays None."""

import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def flag(line) -> typing.Tuple[str, typing.Optional[bool]]:
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
