"""BD308: parse() is declared to return Tuple[str, int] and gives None for a count it
cannot read; Beam picks VarIntCoder for the count from the declared type, and the worker
fails with "TypeError: an integer is required" where it encodes the count (at the shuffle,
or where it estimates the size of Parse's output)."""

import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def parse(line) -> typing.Tuple[str, int]:
    name, _, count = line.partition(",")
    if not count.isdigit():
        return name, None
    return name, int(count)


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a,1", "a,x", "b,3"])
            | "Parse" >> beam.Map(parse)
            | "ByKey" >> beam.GroupByKey()
            | "Show" >> beam.MapTuple(lambda k, vs: f"{k}={sorted(vs, key=str)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
