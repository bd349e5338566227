"""elements_schema_tuple.py fixed the other way: the field stays declared a Tuple, and the
code after the shuffle converts every read back (``tuple(s.span)``) before it hashes it. RowCoder
still gives a list, and nothing depends on it: it runs, and check says nothing (BD306 is for
code that hashes or compares the field as it comes)."""

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
            | "Distinct"
            >> beam.MapTuple(lambda k, spans: f"{k}={len({tuple(s.span) for s in spans})}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
