"""BD326: clicks in one-minute windows and views in the global window are flattened into one
PCollection. A PCollection has one windowing, so one window coder: the worker decodes one
input's windows with the other's coder and fails ("Invalid PaneInfoEncoding" or another
decoding error)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms.window import FixedWindows, TimestampedValue


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        clicks = (
            p
            | "Clicks" >> beam.Create([("c1", 10), ("c2", 70)])
            | "Stamp" >> beam.Map(lambda kv: TimestampedValue(kv[0], kv[1]))
            | beam.WindowInto(FixedWindows(60))
        )
        views = p | "Views" >> beam.Create(["v1"])
        ((clicks, views) | beam.Flatten() | beam.io.WriteToText(output, shard_name_template=""))


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
