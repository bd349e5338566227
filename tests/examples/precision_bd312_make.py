"""BD312 precision (review of this change): ``Item._make(row)`` calls a method of the
class, not the class with a field left out; dill 0.3.1.1's rebuilt namedtuple has ``_make``,
and a full row builds the tuple. No BD312 with any pickler, with or without the session."""

import sys
from typing import NamedTuple

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Item(NamedTuple):
    name: str
    qty: int = 1


def parse(line):
    return Item._make(line.split(","))


def fmt(item):
    return f"{item.name}:{item.qty}"


if __name__ == "__main__":
    output, argv = sys.argv[1], sys.argv[2:]
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a,1", "b,2"])
            | beam.Map(parse)
            | beam.Map(fmt)
            | beam.io.WriteToText(output, shard_name_template="")
        )
