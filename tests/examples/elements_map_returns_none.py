"""BD308: parse() skips a bad line by not returning (the Map then emits None); the declared
Tuple[str, int] picks a pair coder, and the shuffle fails on the worker with
"TypeError: 'NoneType' object is not iterable". Map emits exactly one element per input:
to drop one, use FlatMap and yield only the good ones."""

import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def parse(line) -> typing.Tuple[str, int]:
    name, _, count = line.partition(",")
    if count.isdigit():
        return name, int(count)


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a,1", "a,x", "b,3"])
            | "Parse" >> beam.Map(parse)
            | "ByKey" >> beam.GroupByKey()
            | "Show" >> beam.MapTuple(lambda k, vs: f"{k}={sorted(vs)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
