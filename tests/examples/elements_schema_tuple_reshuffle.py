"""BD306 through a Reshuffle, read in a chain of transforms written over several lines: a
schema row's Tuple field comes back from RowCoder as a list, and the code after the shuffle
(Beam's own steps in between) makes it a dict key: "TypeError: unhashable type: 'list'" on
the worker. Rebuilt from a user report (tuple fields come back as lists through RowCoder)."""

import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Edge(typing.NamedTuple):
    ends: typing.Tuple[int, ...]
    weight: int


beam.coders.registry.register_coder(Edge, beam.coders.RowCoder)


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        edges = (p | beam.Create([((1, 2), 1), ((1, 2), 1), ((3, 4), 1)])
                 | "ToEdge" >> beam.Map(lambda t: Edge(ends=t[0], weight=t[1])).with_output_types(Edge)
                 | beam.Reshuffle())  # fmt: skip
        (edges | "AsDict" >> beam.Map(lambda e: {e.ends: e.weight})
               | "First" >> beam.Map(lambda d: list(d.items())[0])
               | beam.CombinePerKey(sum) | "Fmt" >> beam.MapTuple(lambda k, v: f"{tuple(k)}:{v}")
               | beam.io.WriteToText(output, shard_name_template=""))  # fmt: skip


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
