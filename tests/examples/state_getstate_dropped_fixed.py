"""The fix of state_getstate_dropped.py: ``__setstate__`` makes the connection again when
the worker unpickles the object."""

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

    def __setstate__(self, state):
        import sqlite3  # dill without the main session: the script's imports are not there

        self.__dict__.update(state)
        self.db = sqlite3.connect(":memory:")  # made again on the worker

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
