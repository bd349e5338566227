"""Fixed elements_function_table.py: the elements carry the metric's name and the value; the
consuming transform looks the formatter up after the shuffle, in its own code, which travels
by value with the pickler."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def as_percent(value):
    return f"{value * 100:.0f}%"


def as_money(value):
    return f"${value:.2f}"


FORMATTERS = {"share": as_percent, "price": as_money}


class Tag(beam.DoFn):
    def process(self, row):
        metric, value = row
        yield metric, value


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("share", 0.25), ("price", 3.5), ("share", 0.5)])
            | "Tag" >> beam.ParDo(Tag())
            | "ByMetric" >> beam.GroupByKey()
            | "Show" >> beam.MapTuple(lambda m, vs: f"{m}={sorted(FORMATTERS[m](v) for v in vs)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
