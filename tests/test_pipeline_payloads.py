"""collect_payloads: every object Beam pickles, once, with Beam's exact bytes and its label."""

from __future__ import annotations

import sqlite3
import threading

import apache_beam as beam
from apache_beam.coders import coders
from apache_beam.internal import cloudpickle_pickler
from apache_beam.io import iobase
from apache_beam.io.range_trackers import OffsetRangeTracker
from apache_beam.portability.api import beam_runner_api_pb2
from apache_beam.transforms import window

from beam_deps.pipeline.payloads import collect_payloads


class AddFn(beam.DoFn):
    def __init__(self, amount):
        self.amount = amount

    def process(self, x, extra=None):
        yield x + self.amount


class SumFn(beam.CombineFn):
    def create_accumulator(self):
        return 0

    def add_input(self, acc, x):
        return acc + x

    def merge_accumulators(self, accs):
        return sum(accs)

    def extract_output(self, acc):
        return acc


class EveryTen(window.NonMergingWindowFn):
    def assign(self, context):
        return [window.IntervalWindow(0, 10)]

    def get_window_coder(self):
        return coders.IntervalWindowCoder()


class UpperCoder(coders.Coder):
    def encode(self, value):
        return b"upper"

    def decode(self, encoded):
        return UpperCoderType()

    def is_deterministic(self):
        return True


class OneSource(iobase.BoundedSource):
    def __init__(self):
        self.guard = threading.Lock()

    def estimate_size(self):
        return 1

    def get_range_tracker(self, start_position, stop_position):
        return OffsetRangeTracker(0, 1)

    def read(self, range_tracker):
        yield 1

    def split(self, desired_bundle_size, start_position=None, stop_position=None):
        yield iobase.SourceBundle(1, self, 0, 1)


def add_one(x):
    return x + 1


def build() -> beam.Pipeline:
    p = beam.Pipeline()
    nums = p | "Nums" >> beam.Create([1, 2])
    nums | "Add" >> beam.ParDo(AddFn(1), extra=2)
    nums | "Inc" >> beam.Map(add_one)
    (
        nums
        | "Window" >> beam.WindowInto(EveryTen())
        | "Sum" >> beam.CombineGlobally(SumFn()).without_defaults()
    )
    p | "Read" >> beam.io.Read(OneSource())
    beam.coders.registry.register_coder(UpperCoderType, UpperCoder)
    p | "Upper" >> beam.Create([UpperCoderType()]).with_output_types(UpperCoderType)
    return p


class UpperCoderType:
    pass


def test_payload_bytes_are_the_bytes_in_beams_proto():
    serialized = collect_payloads(build(), "cloudpickle")
    assert not serialized.diagnostics
    by_label = {p.transform: p for p in serialized.payloads if p.kind in ("dofn", "callable")}
    for label in ("Add", "Inc"):
        transform = next(
            t for t in serialized.proto.components.transforms.values() if t.unique_name == label
        )
        pardo = beam_runner_api_pb2.ParDoPayload.FromString(transform.spec.payload)
        assert pardo.do_fn.payload == by_label[label].data


def test_every_kind_of_user_payload_is_found_with_its_label():
    serialized = collect_payloads(build(), "cloudpickle")
    found = {(p.kind, p.name) for p in serialized.payloads}
    assert ("dofn", "AddFn") in found
    assert ("callable", "add_one") in found
    assert ("combinefn", "SumFn") in found
    assert ("windowfn", "EveryTen") in found
    assert ("source", "OneSource") in found
    assert ("coder", "UpperCoder") in found
    add = next(p for p in serialized.payloads if p.name == "AddFn")
    assert add.transform == "Add"
    fn, args, kwargs, _, _ = cloudpickle_pickler.loads(add.data)
    assert fn.amount == 1 and kwargs == {"extra": 2}


def test_each_payload_is_pickled_once():
    pipeline = build()
    calls = []
    original = cloudpickle_pickler.dumps

    def counting(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    cloudpickle_pickler.dumps = counting
    try:
        serialized = collect_payloads(pipeline, "cloudpickle")
    finally:
        cloudpickle_pickler.dumps = original
    user_coders = [p for p in serialized.payloads if p.kind == "coder" and p.name == "UpperCoder"]
    # One dumps per payload; a user coder is also analysed on its own (Beam zlib-compresses
    # coders, so its bytes come from Beam and the analysis needs a plain pickle).
    assert len(calls) == len(serialized.payloads) + len(user_coders)


def test_a_source_is_reported_as_itself_not_as_beams_lambda():
    serialized = collect_payloads(build(), "cloudpickle")
    sources = [p for p in serialized.payloads if p.kind == "source"]
    assert {p.name for p in sources} == {"OneSource"}
    original = [p for p in sources if p.duplicate_of is None]
    wrappers = [p for p in sources if p.duplicate_of is not None]
    assert len(original) == 1 and len(wrappers) == 1  # Read pickles it; so does EmitSource
    (lock,) = [d for d in original[0].report.diagnostics if d.code == "BD104"]
    assert lock.path == "OneSource.guard"
    assert all(
        d.path.startswith("OneSource") for w in wrappers for d in w.report.diagnostics if d.path
    )


def test_unpicklable_payload_keeps_translation_going():
    p = beam.Pipeline()
    fn = AddFn(1)
    nums = p | beam.Create([1])
    nums | "Bad" >> beam.ParDo(fn)
    nums | "Good" >> beam.Map(add_one)
    fn.conn = sqlite3.connect(":memory:")  # after Beam's construction-time check
    serialized = collect_payloads(p, "cloudpickle")
    bad = next(x for x in serialized.payloads if x.transform == "Bad")
    good = next(x for x in serialized.payloads if x.transform == "Good")
    assert bad.data is None and good.data
    (diag,) = [d for d in bad.report.diagnostics if d.code == "BD106"]
    assert diag.path == "AddFn.conn"
