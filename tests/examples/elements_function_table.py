"""BD305: a script function picked from a dispatch table travels inside the elements through a
GroupByKey. Elements are encoded with the standard pickle whatever --pickle_library says, and
the standard pickle refers to a function by name, which the worker's ``__main__`` (Beam's) does
not have: "Can't pickle <function as_percent ...>: attribute lookup as_percent on __main__
failed"."""

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
        formatter = FORMATTERS.get(metric)
        yield metric, (formatter, value)


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("share", 0.25), ("price", 3.5), ("share", 0.5)])
            | "Tag" >> beam.ParDo(Tag())
            | "ByMetric" >> beam.GroupByKey()
            | "Show" >> beam.MapTuple(lambda m, vs: f"{m}={sorted(f(v) for f, v in vs)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
