"""Fixed: parse() yields only the lines it can read, through FlatMap; the bad line is
dropped instead of becoming a None element."""

import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def parse(line) -> typing.Iterable[typing.Tuple[str, int]]:
    name, _, count = line.partition(",")
    if count.isdigit():
        yield name, int(count)


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a,1", "a,x", "b,3"])
            | "Parse" >> beam.FlatMap(parse)
            | "ByKey" >> beam.GroupByKey()
            | "Show" >> beam.MapTuple(lambda k, vs: f"{k}={sorted(vs)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
