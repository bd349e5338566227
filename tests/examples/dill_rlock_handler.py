"""BD104 as an error: a DoFn keeps a ``logging.StreamHandler`` made in ``__init__`` and
writes through it in ``process`` (m18 f08). Every dill (Beam's ``dill`` and
``dill_unsafe``, the default pickler up to Beam 2.64) rebuilds the handler's ``RLock`` as
taken by no thread, so the first ``handle()`` on the worker waits for ever: the job hangs,
with no error in any log. cloudpickle (Beam's reducer) gives a new, free lock: it runs."""

import io
import logging
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class AuditFn(beam.DoFn):
    def __init__(self, name):
        self.handler = logging.StreamHandler(io.StringIO())
        self.handler.setFormatter(logging.Formatter(name + " %(message)s"))
        self.make_record = logging.makeLogRecord

    def process(self, event):
        self.handler.handle(self.make_record({"msg": f"saw {event}"}))
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
