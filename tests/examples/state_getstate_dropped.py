"""BD115: a callable class keeps its sqlite connection out of the pickle with
``__getstate__`` (a connection cannot be pickled), but nothing makes it again on the worker
(m18 f22): the worker's copy has no ``db``, and the first call fails with
"AttributeError: 'Lookup' object has no attribute 'db'", on every pickler."""

import sqlite3
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Lookup:
    def __init__(self, rows):
        self.rows = rows
        self.db = sqlite3.connect(":memory:")

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("db", None)
        return state

    def __call__(self, key):
        if not self.db.execute("SELECT name FROM sqlite_master").fetchall():
            self.db.execute("CREATE TABLE t (k TEXT, v TEXT)")
            self.db.executemany("INSERT INTO t VALUES (?, ?)", self.rows)
        found = self.db.execute("SELECT v FROM t WHERE k = ?", (key,)).fetchone()
        return f"{key}={found[0] if found else '?'}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a", "b", "z"])
            | "Lookup" >> beam.Map(Lookup([("a", "apple"), ("b", "banana")]))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
