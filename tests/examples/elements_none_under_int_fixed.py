"""Fixed: the count is declared Optional[int] (NullableCoder), so a count parse() cannot
read travels as None through the shuffle."""

import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def parse(line) -> typing.Tuple[str, typing.Optional[int]]:
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
