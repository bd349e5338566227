"""The fix of elements_key_groupby_date.py: the key function returns the day as text."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["2024-01-01T10:00,10", "2024-01-02T09:00,3", "2024-01-01T23:59,5"])
            | "ByDay" >> beam.GroupBy(lambda line: line[:10])
            | "Show" >> beam.MapTuple(lambda day, lines: f"{day}={len(list(lines))}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
