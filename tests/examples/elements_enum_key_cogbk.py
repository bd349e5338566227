"""BD302 for Enum members as the keys of a CoGroupByKey (m19 s07): only the input of a
GroupByKey or a combine gets Beam's deterministic key coder, which writes an Enum with its
class by value. Here each input goes first through the join's own tagging step, so the
keys take the plain coder, which pickles the class by reference, and the worker fails where
they are made: "Can't pickle <enum 'Region'>: attribute lookup Region on __main__ failed"."""

import enum
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Region(enum.Enum):
    EU = "eu"
    US = "us"


def by_region(record):
    region, amount = record
    return Region(region), amount


def margin(pair):
    region, grouped = pair
    return f"{region.name} {sum(grouped['sales']) - sum(grouped['costs'])}"


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
