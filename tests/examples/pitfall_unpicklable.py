"""BD106 / BD101: a DoFn, a custom source and a custom sink hold sqlite3 connections, a
lambda captures a lock. Beam stops at the first ("Unable to pickle fn"); check reports
all of them."""

import sqlite3
import sys
import threading

import apache_beam as beam
from apache_beam.io import iobase
from apache_beam.io.range_trackers import OffsetRangeTracker
from apache_beam.options.pipeline_options import PipelineOptions


class RowsSource(iobase.BoundedSource):
    def __init__(self, path):
        self.conn = sqlite3.connect(path)

    def estimate_size(self):
        return 1

    def get_range_tracker(self, start_position, stop_position):
        return OffsetRangeTracker(0, 1)

    def read(self, range_tracker):
        yield from self.conn.execute("select 1")

    def split(self, desired_bundle_size, start_position=None, stop_position=None):
        yield iobase.SourceBundle(1, self, 0, 1)


class RowsSink(iobase.Sink):
    def __init__(self, path):
        self.conn = sqlite3.connect(path)

    def initialize_write(self):
        return None

    def open_writer(self, init_result, uid):
        raise NotImplementedError

    def finalize_write(self, init_result, writer_results, pre_finalize_results):
        return []


class Enrich(beam.DoFn):
    def __init__(self, path):
        self.conn = sqlite3.connect(path)

    def process(self, x):
        yield x, self.conn.execute("select 1").fetchone()


guard = threading.Lock()

with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:
    nums = p | beam.Create([1, 2])
    nums | "Enrich" >> beam.ParDo(Enrich(":memory:"))
    nums | "Guarded" >> beam.Map(lambda x: (guard.locked(), x))
    p | "ReadRows" >> beam.io.Read(RowsSource(":memory:"))
    nums | "SaveRows" >> beam.io.Write(RowsSink(":memory:"))
