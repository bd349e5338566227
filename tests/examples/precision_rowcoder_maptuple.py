"""Precision (review of this change): MapTuple spreads each ``Rec`` over the function's
parameters, so ``lambda name, n: name`` emits a field, not the element, and its output is
strings: no BD302 for a RowCoder class passed on untyped (it ran on isolated workers)."""

import argparse
from typing import NamedTuple

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Rec(NamedTuple):
    name: str
    n: int


beam.coders.registry.register_coder(Rec, beam.coders.RowCoder)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    a, rest = p.parse_known_args()
    with beam.Pipeline(options=PipelineOptions(rest)) as pl:
        (
            pl
            | beam.Create([Rec("a", 1), Rec("b", 2)])
            | "Name" >> beam.MapTuple(lambda name, n: name)
            | beam.io.WriteToText(a.out, shard_name_template="")
        )


if __name__ == "__main__":
    main()
