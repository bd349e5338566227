"""The fix of elements_key_reshuffle.py: the key is the day as text
(``ts.date().isoformat()``), which the deterministic coder encodes."""

import datetime
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms.window import GlobalWindows


def parse(line):
    stamp, amount = line.split(",")
    ts = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M")
    return ts.date().isoformat(), int(amount)


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["2024-01-01T10:00,10", "2024-01-01T23:59,5", "2024-01-02T00:01,3"])
            | "Parse" >> beam.Map(parse)
            | "Spread" >> beam.Reshuffle()
            | "Window" >> beam.WindowInto(GlobalWindows())
            | "Total" >> beam.CombinePerKey(sum)
            | "Show" >> beam.MapTuple(lambda day, total: f"{day}={total}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
