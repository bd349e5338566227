"""BD337: a batching DoFn flushes its buffer from ``finish_bundle`` into the global window,
as Beam's documentation shows, but its input is in one-minute windows: the step's output
keeps them, its window coder takes interval windows only, and the worker fails when the
bundle ends, "TypeError: Cannot convert GlobalWindow to ..._IntervalWindowBase"
(apache/beam#25014)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms import window
from apache_beam.utils.windowed_value import WindowedValue

START = 1_700_000_040  # 2023-11-14 22:14:00 UTC


class Batch(beam.DoFn):
    def start_bundle(self):
        self.batch = []

    def process(self, click):
        self.batch.append(click)

    def finish_bundle(self):
        if self.batch:
            yield WindowedValue(self.batch, 0, [window.GlobalWindow()])
        self.batch = []


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([START + i * 20 for i in range(6)])
            | "Stamp" >> beam.Map(lambda t: window.TimestampedValue(t, t))
            | beam.WindowInto(window.FixedWindows(60))
            | "Batch" >> beam.ParDo(Batch())
            | beam.Map(len)
            | beam.CombineGlobally(sum).without_defaults()
            | beam.Map(str)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
