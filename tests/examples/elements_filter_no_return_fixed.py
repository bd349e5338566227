"""The fix for BD334: the Filter's function returns its decision, so the large orders are
kept: ``o1,250.0`` and ``o3,100.0``."""

import logging
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def is_large(order):
    name, amount = order.split(",")
    if float(amount) >= 100:
        logging.info("large order %s", name)
        return True
    return False


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
