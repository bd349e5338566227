"""Precision (review): under dill 0.3.1.1 with --save_main_session the script's dataclass
``Config`` comes back without its fields, but the worker code calls ``asdict()`` only on a
dataclass of Beam's own (``KeyModelPathMapping``), which is pickled by reference, fields
intact: no BD313 (it ran, and wrote the field names)."""

import argparse
import dataclasses
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from apache_beam.ml.inference.base import KeyModelPathMapping


@dataclasses.dataclass
class Config:
    prefix: str


CFG = Config("m-")


def describe(k):
    m = KeyModelPathMapping(keys=[k], update_path="/p/" + k, model_id=k)
    return sorted(dataclasses.asdict(m).keys())


def build(pl):
    return pl | beam.Create([CFG.prefix + "a", CFG.prefix + "b"]) | beam.Map(describe)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    a, rest = p.parse_known_args()
    with beam.Pipeline(options=PipelineOptions(rest)) as pl:
        build(pl) | "Fmt" >> beam.Map(str) | beam.io.WriteToText(a.out, shard_name_template="")


if __name__ == "__main__":
    main()
