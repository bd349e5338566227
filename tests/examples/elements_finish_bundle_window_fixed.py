"""The fix for BD337: the DoFn keeps a batch per window (``beam.DoFn.WindowParam``) and
flushes each into its own window, so the six clicks count in their two minutes: ``3`` and
``3``."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms import window
from apache_beam.utils.windowed_value import WindowedValue

START = 1_700_000_040  # 2023-11-14 22:14:00 UTC


class Batch(beam.DoFn):
    def start_bundle(self):
        self.batches = {}

    def process(self, click, w=beam.DoFn.WindowParam):
        self.batches.setdefault(w, []).append(click)

    def finish_bundle(self):
        for w, batch in self.batches.items():
            yield WindowedValue(batch, w.max_timestamp(), [w])
        self.batches = {}


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
