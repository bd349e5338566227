"""Fixed elements_key_date.py: the day travels as its ISO text (``day.isoformat()``), a str,
which Beam's deterministic coder encodes natively; it sorts and reads the same."""

import sys
from datetime import datetime

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class ByDay(beam.DoFn):
    def process(self, line):
        stamp, user = line.split(",")
        day = datetime.strptime(stamp, "%Y-%m-%dT%H:%M").date()
        yield day.isoformat(), user


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["2024-03-01T09:00,ann", "2024-03-01T17:30,bob", "2024-03-02T08:15,ann"])
            | "ByDay" >> beam.ParDo(ByDay())
            | "Group" >> beam.GroupByKey()
            | "Show" >> beam.MapTuple(lambda day, users: f"{day}:{sorted(users)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
