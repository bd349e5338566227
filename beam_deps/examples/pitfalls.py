"""A small pipeline with the mistakes that usually surface only in worker logs.

    beam-deps check beam_deps/examples/pitfalls.py

Each marked line is something `python pitfalls.py` on DirectRunner would not reveal, but a
Dataflow / Flink / Spark worker would fail on (or silently get wrong).
"""

import sqlite3
import threading

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Order:
    """Defined in the script: instances cannot be decoded on a worker."""

    def __init__(self, sku, quantity):
        self.sku, self.quantity = sku, quantity


class LookupPrice(beam.DoFn):
    def __init__(self, db_path):
        self.db = sqlite3.connect(db_path)  # a connection cannot be pickled

    def process(self, order):
        import pricing_service  # installed nowhere

        yield order.sku, pricing_service.price(order.sku) * order.quantity


TOTALS = {}
totals_lock = threading.Lock()


def remember(item):
    with totals_lock:  # each worker gets a new, unrelated lock
        TOTALS[item[0]] = item[1]  # each worker has its own TOTALS
    return item


def run(argv=None):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | "Orders" >> beam.Create([Order("apple", 3), Order("pear", 1)])
            | "Price" >> beam.ParDo(LookupPrice(":memory:"))
            | "Remember" >> beam.Map(remember)
        )
    print(TOTALS)


if __name__ == "__main__":
    run()
