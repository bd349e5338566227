"""The fix for BD336: the milliseconds are divided by 1000 before they stamp the element,
so the six clicks, 20 seconds apart, fill two one-minute windows: ``3`` and ``3``."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms import window

START_MS = 1_700_000_040_000  # 2023-11-14 22:14:00 UTC, in milliseconds
CLICKS = [{"page": "home", "at_ms": START_MS + i * 20_000} for i in range(6)]


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(CLICKS)
            | "Stamp" >> beam.Map(lambda c: window.TimestampedValue(c, c["at_ms"] / 1000))
            | beam.WindowInto(window.FixedWindows(60))
            | beam.Map(lambda c: 1)
            | beam.CombineGlobally(sum).without_defaults()
            | beam.Map(str)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
