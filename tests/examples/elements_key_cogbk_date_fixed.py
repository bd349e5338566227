"""The fix of elements_key_cogbk_date.py: the key is the day as text (``day.isoformat()``,
or the text as read), which the deterministic coder encodes."""

import datetime
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def parse(line):
    day, amount = line.split(",")
    return datetime.date.fromisoformat(day).isoformat(), int(amount)


def show(day, grouped):
    return f"{day} sales={sum(grouped['sales'])} refunds={sum(grouped['refunds'])}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        sales = (
            p
            | "Sales" >> beam.Create(["2024-01-01,10", "2024-01-02,3", "2024-01-01,5"])
            | "ParseSales" >> beam.Map(parse)
        )
        refunds = p | "Refunds" >> beam.Create(["2024-01-01,2"]) | "ParseRefunds" >> beam.Map(parse)
        (
            {"sales": sales, "refunds": refunds}
            | "Join" >> beam.CoGroupByKey()
            | "Show" >> beam.MapTuple(show)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
