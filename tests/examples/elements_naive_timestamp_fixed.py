"""BD318, fixed: the parsed datetime is marked UTC (``replace(tzinfo=timezone.utc)``), which
Beam turns into a timestamp; seconds since the epoch work too. Two elements fall in the
10:00 window and one in the 11:00 window."""

import sys
from datetime import datetime, timezone

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Stamp(beam.DoFn):
    def process(self, line):
        when, user = line.split(",")
        parsed = datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)
        yield beam.window.TimestampedValue(user, parsed)


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
