"""BD310 through a CoGroupByKey: each input is tagged (``(k, v)`` becomes ``(k, (tag, v))``)
and flattened into one shuffle, which encodes the ``datetime.date`` keys ``parse`` gives with
Beam's deterministic coder: "Unable to deterministically encode '2024-01-01' of type
'<class 'datetime.date'>' ..." on the worker, on every Beam."""

import datetime
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def parse(line):
    day, amount = line.split(",")
    return datetime.date.fromisoformat(day), int(amount)


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
