"""Fixed elements_window_no_timestamps.py: each visit gets its event time
(``TimestampedValue``) before the windows, so the count is per minute: "ann,2", "ann,1",
"ann,1"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms.window import FixedWindows, TimestampedValue


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("ann", 5), ("ann", 30), ("ann", 65), ("ann", 130)])
            | "Stamp" >> beam.MapTuple(lambda user, ts: TimestampedValue((user, ts), ts))
            | beam.WindowInto(FixedWindows(60))
            | "Key" >> beam.MapTuple(lambda user, ts: (user, 1))
            | beam.CombinePerKey(sum)
            | "Format" >> beam.MapTuple(lambda user, n: f"{user},{n}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
