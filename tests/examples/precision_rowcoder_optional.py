"""Precision (review): ``parse`` is declared ``-> Optional[Rec]``, and Rec has a registered
RowCoder: Beam encodes that output with NullableCoder(RowCoder), so the instances never meet
the pickling fallback: no BD302 (it ran on isolated workers)."""

import argparse
from typing import List, NamedTuple, Optional
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Rec(NamedTuple):
    name: str
    n: int


beam.coders.registry.register_coder(Rec, beam.coders.RowCoder)


def parse(s) -> Optional[Rec]:
    if "," not in s:
        return None
    return Rec(s.split(",")[0], int(s.split(",")[1]))


def build(pl):
    recs = (
        pl
        | beam.Create(["a,1", "bad", "b,2"])
        | "Parse" >> beam.Map(parse)
        | "Pair" >> beam.Map(lambda r: [r, r] if r else []).with_output_types(List[Rec])
        | "Flat" >> beam.FlatMap(lambda rs: rs).with_output_types(Rec)
    )
    return recs | beam.Map(lambda r: f"{r.name}:{r.n}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    a, rest = p.parse_known_args()
    with beam.Pipeline(options=PipelineOptions(rest)) as pl:
        build(pl) | "Fmt" >> beam.Map(str) | beam.io.WriteToText(a.out, shard_name_template="")


if __name__ == "__main__":
    main()
