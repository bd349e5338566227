"""BD318: elements stamped with a datetime without a time zone. ``datetime.strptime`` gives
a naive datetime; Beam turns a datetime into a timestamp only when it says it is UTC, so the
worker fails on the first element: "ValueError: dt has no timezone info"."""

import sys
from datetime import datetime

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Stamp(beam.DoFn):
    def process(self, line):
        when, user = line.split(",")
        yield beam.window.TimestampedValue(user, datetime.strptime(when, "%Y-%m-%d %H:%M"))


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["2024-01-01 10:00,ann", "2024-01-01 10:20,bob", "2024-01-01 11:05,cy"])
            | beam.ParDo(Stamp())
            | beam.WindowInto(beam.window.FixedWindows(3600))
            | beam.combiners.Count.Globally().without_defaults()
            | beam.Map(str)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
