"""BD115 precision (review of this change): ``__getstate__`` drops the connection and the
worker makes it again without a plain ``self.db = ...``: through ``setattr`` in a helper the
call runs first, or through ``vars(self).update(...)`` in ``setup()``. Nothing fails."""

import sqlite3
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Base:
    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("db", None)
        return state


class LookupA(Base):
    def __init__(self, rows):
        self.rows = rows
        self.db = sqlite3.connect(":memory:")

    def _ensure(self):
        if "db" not in self.__dict__:
            setattr(self, "db", sqlite3.connect(":memory:"))

    def __call__(self, key):
        self._ensure()
        return f"{key}={len(self.db.execute('SELECT 1').fetchall())}"


class LookupB(beam.DoFn):
    def __init__(self):
        self.db = sqlite3.connect(":memory:")

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "db"}

    def setup(self):
        vars(self).update(db=sqlite3.connect(":memory:"))

    def process(self, key):
        yield f"{key}:{len(self.db.execute('SELECT 1').fetchall())}"


if __name__ == "__main__":
    output, argv = sys.argv[1], sys.argv[2:]
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        keys = p | beam.Create(["a", "b"])
        keys | "A" >> beam.Map(LookupA([])) | "WA" >> beam.io.WriteToText(output + "-a")
        keys | "B" >> beam.ParDo(LookupB()) | "WB" >> beam.io.WriteToText(output + "-b")
