"""A `typing.NamedTuple` with a method, made and read on the worker. With dill and
`--save_main_session` the worker's `__main__` is filled from the saved session, and dill
saves a NamedTuple class by its name and fields only: `parse` makes instances of the
session's `Purchase`, which has no `total`, and the worker fails with "AttributeError:
'Purchase' object has no attribute 'total'" (BD312), with dill 0.3.1.1 and newer alike.
Without the session dill finds no `Purchase` at all (BD201); cloudpickle's element counters
cannot encode it (BD302)."""

import argparse
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Purchase(typing.NamedTuple):
    user: str
    price: float
    qty: int

    def total(self):
        return self.price * self.qty


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
            | beam.Map(lambda x: f"{x.user}={x.total()}")
            | beam.io.WriteToText(known.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
