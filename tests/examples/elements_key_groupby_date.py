"""BD310 through ``GroupBy(fn)``: Beam pairs each element with ``fn(element)`` and groups by
it, so the ``datetime.date`` the key function returns is the shuffle's key: "Unable to
deterministically encode '2024-01-01' of type '<class 'datetime.date'>' ..." on the worker."""

import datetime
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["2024-01-01T10:00,10", "2024-01-02T09:00,3", "2024-01-01T23:59,5"])
            | "ByDay" >> beam.GroupBy(lambda line: datetime.date.fromisoformat(line[:10]))
            | "Show" >> beam.MapTuple(lambda day, lines: f"{day}={len(list(lines))}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
