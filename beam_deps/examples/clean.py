"""The same pipeline written so that it runs on remote workers.

    beam-deps check beam_deps/examples/clean.py

Resources are created on the worker in `setup()`, elements are plain tuples, results come
back as a PCollection rather than through a module-level dict.
"""

import sqlite3

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class LookupPrice(beam.DoFn):
    def __init__(self, db_path):
        self.db_path = db_path

    def setup(self):
        self.db = sqlite3.connect(self.db_path)

    def process(self, order):
        sku, quantity = order
        (price,) = self.db.execute("select ?", (len(sku),)).fetchone()
        yield sku, price * quantity

    def teardown(self):
        self.db.close()


def run(argv=None):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | "Orders" >> beam.Create([("apple", 3), ("pear", 1)])
            | "Price" >> beam.ParDo(LookupPrice(":memory:"))
            | "Print" >> beam.Map(print)
        )


if __name__ == "__main__":
    run()
