"""dill_namedtuple_method.py fixed: the logic is a function of the script, which the main
session carries whole; the NamedTuple keeps only fields. Runs with dill 0.3.1.1 and newer
with `--save_main_session` (cloudpickle still cannot encode a script class: BD302)."""

import argparse
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Purchase(typing.NamedTuple):
    user: str
    price: float
    qty: int


def total(purchase):
    return purchase.price * purchase.qty


def parse(line):
    user, price, qty = line.split(",")
    return Purchase(user, float(price), int(qty))


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    known, rest = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(rest)) as p:
        (
            p
            | beam.Create(["a,2.5,2", "b,1.0,3", "a,1.0,1"])
            | beam.Map(parse)
            | beam.Map(lambda x: f"{x.user}={total(x)}")
            | beam.io.WriteToText(known.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
