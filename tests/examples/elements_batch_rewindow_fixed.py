"""The fix for ``elements_batch_rewindow.py``: window first, then batch. ``BatchElements``
in windows batches each window's elements apart and its batches keep to their window, so
the counts are per minute: ``0:BR=1``, ``0:PT=1``, ``60:PT=2``, ``120:BR=1``, ``120:PT=1``."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms import window

COUNTRY = {"u1": "PT", "u2": "BR", "u3": "PT"}
EVENTS = [("u1", 10), ("u2", 20), ("u3", 70), ("u1", 80), ("u2", 130), ("u3", 140)]


class LookUpCountries(beam.DoFn):
    def process(self, batch):
        for user, _ in batch:  # one lookup per batch
            yield COUNTRY[user], 1


class ShowWindow(beam.DoFn):
    def process(self, pair, w=beam.DoFn.WindowParam):
        start = int(w.start)
        yield f"{'end' if start > 10**9 else start}:{pair[0]}={pair[1]}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(EVENTS)
            | "Stamp" >> beam.Map(lambda e: window.TimestampedValue(e, e[1]))
            | beam.WindowInto(window.FixedWindows(60))
            | beam.BatchElements(min_batch_size=4, max_batch_size=4)
            | beam.ParDo(LookUpCountries())
            | beam.CombinePerKey(sum)
            | beam.ParDo(ShowWindow())
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
