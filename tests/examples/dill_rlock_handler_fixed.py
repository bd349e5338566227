"""The fix of dill_rlock_handler.py: the handler is made in ``setup()``, on the worker, so its
lock is never pickled; ``__init__`` keeps only the name."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class AuditFn(beam.DoFn):
    def __init__(self, name):
        self.name = name

    def setup(self):
        import io
        import logging

        self.logging = logging
        self.handler = logging.StreamHandler(io.StringIO())
        self.handler.setFormatter(logging.Formatter(self.name + " %(message)s"))

    def process(self, event):
        self.handler.handle(self.logging.makeLogRecord({"msg": f"saw {event}"}))
        yield f"audited:{event}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["e1", "e2"])
            | "Audit" >> beam.ParDo(AuditFn("audit"))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
