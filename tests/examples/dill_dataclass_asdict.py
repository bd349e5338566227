"""BD313: dill before 0.3.5 (Beam's ``dill``, the default pickler of Beam 2.61 to 2.64)
rebuilds a dataclass of the script on the worker without its fields: it copies the
``dataclasses`` module's field marker, which ``dataclasses`` compares by identity. There
``asdict(order)`` gives ``{}`` and the totals step fails with "KeyError: 'amount'" (m19
s06), with or without ``--save_main_session``."""

import sys
from dataclasses import asdict, dataclass

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


@dataclass
class Order:
    customer: str
    amount: float


class ToOrder(beam.DoFn):
    def process(self, line):
        customer, amount = line.split(",")
        yield customer, asdict(Order(customer, float(amount)))  # a plain dict travels


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
