"""BD334: a Filter whose function decides but never returns its decision (it logs the rows
it means to keep). Filter keeps an element only when the function returns a true value, and
this one returns None for every row: the job succeeds and writes nothing."""

import logging
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def is_large(order):
    name, amount = order.split(",")
    if float(amount) >= 100:
        logging.info("large order %s", name)


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["o1,250.0", "o2,20.0", "o3,100.0"])
            | "Large" >> beam.Filter(is_large)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
