"""BD306: a NamedTuple with RowCoder (a schema) has a Tuple field; across the shuffle RowCoder
gives the field back as a list, so using it as a set member fails on the worker with
"TypeError: unhashable type: 'list'" (locally, without a shuffle encoding, it works)."""

import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Span(typing.NamedTuple):
    name: str
    span: typing.Tuple[int, int]


beam.coders.registry.register_coder(Span, beam.coders.RowCoder)


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("a", 1), ("a", 1), ("b", 2)])
            | "ToSpan"
            >> beam.Map(lambda r: (r[0], Span(r[0], (r[1], r[1] + 1)))).with_output_types(
                typing.Tuple[str, Span]
            )
            | "ByName" >> beam.GroupByKey()
            | "Distinct" >> beam.MapTuple(lambda k, spans: f"{k}={len({s.span for s in spans})}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
