"""What BD116 (a Beam metric updated on a thread the step starts) claims and what it never
claims. The real runs are tests/examples/state_thread_counter*.py in test_accuracy_state.py;
these build pipelines (never run)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import apache_beam as beam
from apache_beam.metrics import Metrics

from beam_deps.check.detectors.thread_metrics import thread_metric_diagnostics

COUNTED = Metrics.counter("t", "counted")
SIZES = Metrics.distribution("t", "sizes")


def count(item):
    COUNTED.inc()
    return item


def measure(item, sizes):
    sizes.update(len(item))
    return item


def plain(item):
    return item.upper()


class Submits(beam.DoFn):
    def setup(self):
        self.pool = ThreadPoolExecutor(2)

    def process(self, item):
        yield self.pool.submit(count, item).result()


class PassesTheMetric(beam.DoFn):
    def setup(self):
        self.pool = ThreadPoolExecutor(2)

    def process(self, item):
        yield self.pool.submit(measure, item, SIZES).result()


class MapsOnItsPool(beam.DoFn):
    def setup(self):
        self.pool = ThreadPoolExecutor(2)

    def process(self, batch):
        yield from self.pool.map(count, batch)


class StartsAThread(beam.DoFn):
    def __init__(self):
        self.seen = Metrics.counter("t", "seen")

    def work(self):
        self.seen.inc()

    def process(self, item):
        worker = threading.Thread(target=self.work)
        worker.start()
        worker.join()
        yield item


class LambdaOnPool(beam.DoFn):
    def process(self, item):
        with ThreadPoolExecutor(1) as pool:
            yield pool.submit(lambda: COUNTED.inc() or item).result()


class CountsOnItsOwnThread(beam.DoFn):
    def setup(self):
        self.pool = ThreadPoolExecutor(2)

    def process(self, item):
        result = self.pool.submit(plain, item).result()
        COUNTED.inc()
        yield result


class ProcessWide(beam.DoFn):
    def setup(self):  # never run here: Beam 2.61's Metrics.distribution has no process_wide
        self.pool = ThreadPoolExecutor(2)
        self.wide = Metrics.distribution("t", "wide", process_wide=True)

    def count(self, item):
        self.wide.update(len(item))
        return item

    def process(self, item):
        yield self.pool.submit(self.count, item).result()


class FrameMap(beam.DoFn):
    """``.map`` of something that is not a pool (a pandas Series): runs on this thread."""

    def process(self, frame):
        yield frame["name"].map(count)


def _codes(step) -> list[str]:
    p = beam.Pipeline()
    p | beam.Create(["a"]) | step
    return [d.code for d in thread_metric_diagnostics(p)]


def test_updates_on_another_thread_are_reported():
    assert _codes(beam.ParDo(Submits())) == ["BD116"]
    assert _codes(beam.ParDo(PassesTheMetric())) == ["BD116"]  # the metric as an argument
    assert _codes(beam.ParDo(MapsOnItsPool())) == ["BD116"]
    assert _codes(beam.ParDo(StartsAThread())) == ["BD116"]  # a DoFn attribute, a Thread
    assert _codes(beam.ParDo(LambdaOnPool())) == ["BD116"]


def test_what_is_never_reported():
    assert _codes(beam.ParDo(CountsOnItsOwnThread())) == []  # counted on the bundle's thread
    assert _codes(beam.ParDo(ProcessWide())) == []  # process_wide: the process's container
    assert _codes(beam.ParDo(FrameMap())) == []  # not a pool's map
    assert _codes(beam.Map(count)) == []  # no thread at all
