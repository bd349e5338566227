"""The fix of dill_dataclass_asdict.py: the DoFn builds the dict from the fields it
names, which needs nothing of the worker's copy of the class."""

import sys
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


@dataclass
class Order:
    customer: str
    amount: float


class ToOrder(beam.DoFn):
    def process(self, line):
        customer, amount = line.split(",")
        order = Order(customer, float(amount))
        yield customer, {"customer": order.customer, "amount": order.amount}


def total(pair):
    customer, orders = pair
    return f"{customer},{sum(o['amount'] for o in orders):.2f}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["ann,10.5", "bob,3", "ann,4.5"])
            | "ToOrder" >> beam.ParDo(ToOrder())
            | beam.GroupByKey()
            | "Total" >> beam.Map(total)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
