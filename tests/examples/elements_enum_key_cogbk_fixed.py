"""The fix of elements_enum_key_cogbk.py: the join's keys are the regions' values (plain
strings), and the Enum is made again after the join, where it is only formatted."""

import enum
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Region(enum.Enum):
    EU = "eu"
    US = "us"


def by_region(record):
    region, amount = record
    return Region(region).value, amount


def margin(pair):
    region, grouped = pair
    return f"{Region(region).name} {sum(grouped['sales']) - sum(grouped['costs'])}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        sales = (
            p
            | "Sales" >> beam.Create([("eu", 10), ("us", 7), ("eu", 5)])
            | "KeySales" >> beam.Map(by_region)
        )
        costs = (
            p | "Costs" >> beam.Create([("eu", 3), ("us", 2)]) | "KeyCosts" >> beam.Map(by_region)
        )
        (
            {"sales": sales, "costs": costs}
            | "Join" >> beam.CoGroupByKey()
            | "Margin" >> beam.Map(margin)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
