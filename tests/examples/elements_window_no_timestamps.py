"""BD327: visits are counted per user and minute with ``WindowInto(FixedWindows(60))``, but
nothing gives the elements their event time: a Create's elements all carry the same
timestamp, so every visit lands in one window and the count is the count of all ("ann,4"
instead of one line per minute). No error anywhere."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms.window import FixedWindows


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("ann", 5), ("ann", 30), ("ann", 65), ("ann", 130)])
            | beam.WindowInto(FixedWindows(60))
            | "Key" >> beam.MapTuple(lambda user, ts: (user, 1))
            | beam.CombinePerKey(sum)
            | "Format" >> beam.MapTuple(lambda user, n: f"{user},{n}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
