"""BD312 precision (review of this change, /tmp/rev/a.py): nothing a worker runs reads a member
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
    def __init__(self, cfg, table):
        self.cfg = cfg
        self.table = table

    @classmethod
    def from_config(cls, cfg):  # runs only while the pipeline is built
        return cls(cfg, cfg.table_ref)

    def process(self, x):
        yield f"{self.cfg.project}:{self.table}:{x}"


def main():
    out, rest = sys.argv[1], sys.argv[2:]
    cfg = Config("proj", "ds")
    with beam.Pipeline(options=PipelineOptions(rest)) as p:
        (
            p
            | beam.Create(["a", "b"])
            | beam.ParDo(Tag.from_config(cfg))
            | beam.io.WriteToText(out + "/out")
        )


if __name__ == "__main__":
    main()
