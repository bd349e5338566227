"""BD201: the job's settings are put on ``__main__`` while the script runs, and the DoFn
reads them back from there (spotify/klio's RunConfig). A worker's ``__main__`` is Beam's
own sdk_worker_main: without dill's saved main session it has no ``settings``, and the
step fails with "AttributeError: module '__main__' has no attribute 'settings'". (With dill
and --save_main_session the session carries them, and the job runs.)"""

import __main__
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Settings:
    def __init__(self, minimum):
        self.minimum = minimum


def current_settings():
    return __main__.settings


class KeepLong(beam.DoFn):
    def process(self, track):
        name, seconds = track
        if seconds >= current_settings().minimum:
            yield name


def run(output, argv):
    __main__.settings = Settings(minimum=120)
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("t1", 90), ("t2", 130), ("t3", 200)])
            | "KeepLong" >> beam.ParDo(KeepLong())
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
