"""BD312 precision (review of this change, /tmp/rev/n.py): nothing a worker runs reads a member
the worker's NamedTuple lacks, so no BD312 (nor BD311, BD412, BD001). Checked, not run."""

import sys, typing
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Config(typing.NamedTuple):
    project: str
    dataset: str

    @property
    def table_ref(self):
        return f"{self.project}.{self.dataset}.events"


class Tag(beam.DoFn):
    def __init__(self, cfg):
        self.cfg = cfg
        self.table = self._table(cfg)

    def _table(self, cfg):  # called from __init__ only
        return cfg.table_ref

    def process(self, x):
        yield f"{self.cfg.project}:{self.table}:{x}"


if __name__ == "__main__":
    out, rest = sys.argv[1], sys.argv[2:]
    with beam.Pipeline(options=PipelineOptions(rest)) as p:
        (
            p
            | beam.Create(["a", "b"])
            | beam.ParDo(Tag(Config("proj", "ds")))
            | beam.io.WriteToText(out + "/out")
        )
