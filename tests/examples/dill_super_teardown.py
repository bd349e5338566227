"""`super(Enrich, self)` only in `teardown()`: under dill_unsafe with `--save_main_session` it
raises there too, but Beam logs a teardown's exception and the job succeeds with the right
output, so BD311 is not reported (m17 s13)."""

import sys
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Enrich(beam.DoFn):
    def setup(self):
        self.conn = {"a": "A"}

    def process(self, element):
        yield self.conn.get(element, "?")

    def teardown(self):
        self.conn = None
        super(Enrich, self).teardown()


def run(argv):
    out, rest = argv[0], argv[1:]
    with beam.Pipeline(options=PipelineOptions(rest)) as p:
        (
            p
            | beam.Create(["a", "b"])
            | beam.ParDo(Enrich())
            | beam.io.WriteToText(out, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1:])
