"""The fix for BD201 on a ``__main__`` attribute: the settings travel with the DoFn, as a
constructor argument, so every worker has them: ``t2`` and ``t3``."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Settings:
    def __init__(self, minimum):
        self.minimum = minimum


class KeepLong(beam.DoFn):
    def __init__(self, settings):
        self.settings = settings

    def process(self, track):
        name, seconds = track
        if seconds >= self.settings.minimum:
            yield name


def run(output, argv):
    settings = Settings(minimum=120)
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("t1", 90), ("t2", 130), ("t3", 200)])
            | "KeepLong" >> beam.ParDo(KeepLong(settings))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
