"""What BD319 (a CombineFn method returns nothing), BD320 (finish_bundle emits a plain
value) and BD325 (a combine's function reads its argument as a list) claim, and what they
leave alone. The real runs are the examples in tests/test_accuracy_elements.py; these build
pipelines (never run) and ask."""

from __future__ import annotations

import statistics

import apache_beam as beam
import pytest
from apache_beam.transforms import window
from apache_beam.transforms.window import GlobalWindows
from apache_beam.utils.windowed_value import WindowedValue

from beam_deps.check.detectors.accumulators import combine_method_diagnostics
from beam_deps.check.detectors.bundles import finish_bundle_diagnostics


class NoReturnAdd(beam.CombineFn):
    def create_accumulator(self):
        return []

    def add_input(self, acc, x):
        acc.append(x)

    def merge_accumulators(self, accs):
        return [x for acc in accs for x in acc]

    def extract_output(self, acc):
        return acc


class NoReturnOutput(NoReturnAdd):
    def add_input(self, acc, x):
        acc.append(x)
        return acc

    def extract_output(self, acc):
        print(acc)


class Returns(NoReturnOutput):
    def extract_output(self, acc):
        if not acc:
            return None
        return sorted(acc)


class Raises(Returns):
    def merge_accumulators(self, accs):
        raise NotImplementedError


class NoneAtFirst(Returns):
    def create_accumulator(self):
        pass  # None: "no value yet"

    def add_input(self, acc, x):
        if acc is None:
            acc = []
        acc.append(x)
        return acc


class NoneCreated(Returns):
    def create_accumulator(self):
        pass


@pytest.mark.parametrize(
    "fn, methods",
    [
        (NoReturnAdd(), ["add_input"]),
        (NoReturnOutput(), ["extract_output"]),
        (Returns(), []),
        (Raises(), []),  # its end is never reached
        (NoneAtFirst(), []),  # add_input checks for None
        (NoneCreated(), ["create_accumulator"]),  # add_input appends to None
        (beam.combiners.CountCombineFn(), []),  # Beam's own
    ],
    ids=["add-input", "extract-output", "returns", "raises", "none-checked", "none", "beams"],
)
def test_combine_methods(fn, methods):
    p = beam.Pipeline()
    p | beam.Create([("a", 1)]) | beam.CombinePerKey(fn)
    found = combine_method_diagnostics(p)
    assert [d.code for d in found] == ["BD319"] * len(methods)
    assert [d.path.rsplit(".", 1)[1] for d in found] == methods


class Buffer(beam.DoFn):
    def start_bundle(self):
        self.batch = []

    def process(self, x):
        self.batch.append(x)


class YieldsJoined(Buffer):
    def finish_bundle(self):
        yield ",".join(self.batch)


class YieldsBuffer(Buffer):
    def finish_bundle(self):
        yield self.batch


class YieldsItems(Buffer):
    def finish_bundle(self):
        for x in self.batch:  # noqa: UP028 - the shape users write
            yield x


class YieldsFrom(Buffer):
    def finish_bundle(self):
        yield from self.batch


class ReturnsList(Buffer):
    def finish_bundle(self):
        return [len(self.batch)]


class Wrapped(Buffer):
    def finish_bundle(self):
        yield GlobalWindows.windowed_value(",".join(self.batch))


class BuffersWindowed(beam.DoFn):
    def start_bundle(self):
        self.batch = []

    def process(self, x, window=beam.DoFn.WindowParam, ts=beam.DoFn.TimestampParam):
        wv = WindowedValue(x, ts, [window])
        self.batch.append(wv)

    def finish_bundle(self):
        yield from self.batch


def to_windowed(value, timestamp, window):
    return WindowedValue(value, timestamp, [window])


class BuffersHelperMade(beam.DoFn):
    def start_bundle(self):
        self.pending = []

    def process(self, x, window=beam.DoFn.WindowParam, ts=beam.DoFn.TimestampParam):
        made = to_windowed(x, ts, window)  # a WindowedValue a helper makes
        self.pending.append(made)

    def finish_bundle(self):
        yield from self.pending


class BuffersWindowedParam(beam.DoFn):
    def start_bundle(self):
        self.pending = []

    def process(self, x, wv=beam.DoFn.WindowedValueParam):
        self.pending.append(wv)

    def finish_bundle(self):
        yield from self.pending


class YieldsCall(Buffer):
    def finish_bundle(self):
        yield self.flush()

    def flush(self):
        return GlobalWindows.windowed_value(self.batch)


@pytest.mark.parametrize(
    "dofn, codes",
    [
        (YieldsJoined(), ["BD320"]),
        (YieldsBuffer(), ["BD320"]),
        (YieldsItems(), ["BD320"]),
        (YieldsFrom(), ["BD320"]),
        (ReturnsList(), ["BD320"]),
        (Wrapped(), []),
        (BuffersWindowed(), []),
        (YieldsCall(), []),  # what a helper returns: not known here
        (BuffersHelperMade(), []),
        (BuffersWindowedParam(), []),
        (Buffer(), []),
    ],
    ids=[
        "joined",
        "buffer",
        "items",
        "yield-from",
        "returns-list",
        "wrapped",
        "windowed-buffer",
        "helper",
        "helper-made",
        "windowed-param",
        "none",
    ],
)
def test_finish_bundle(dofn, codes):
    p = beam.Pipeline()
    p | beam.Create(["a"]) | beam.ParDo(dofn)
    assert [d.code for d in finish_bundle_diagnostics(p)] == codes


def mean(values):
    return sum(values) / len(values)


def first(values):
    return values[0]


def copied(values):
    values = list(values)
    return len(values)


def total(values):
    return sum(v for v in values)


@pytest.mark.parametrize(
    "make, found",
    [
        (lambda: beam.CombineGlobally(len), "len()"),
        (lambda: beam.CombineGlobally(mean), "len(values)"),
        (lambda: beam.CombineGlobally(first), "values[...]"),
        (lambda: beam.CombineGlobally(lambda vs: sum(vs) / len(vs)), "len(vs)"),
        (lambda: beam.CombineGlobally(sum), None),
        (lambda: beam.CombineGlobally(total), None),
        (lambda: beam.CombineGlobally(copied), None),  # a list of its own: not claimed
        (lambda: beam.combiners.Count.Globally(), None),
        (lambda: beam.CombineGlobally(statistics.mean), "statistics.mean() of partial"),
    ],
    ids=["len", "mean", "index", "lambda", "sum", "total", "copied", "count", "statistics"],
)
def test_combine_callables(make, found):
    from beam_deps.check.detectors.accumulators import combine_callable_diagnostics

    p = beam.Pipeline()
    p | beam.Create([1, 2]) | make()
    diagnostics = combine_callable_diagnostics(p)
    if found is None:
        assert diagnostics == []
    else:
        (d,) = diagnostics
        assert d.code == "BD325" and f"{found}" in d.message and "partial results" in d.message


class GlobalWindowed(Buffer):
    def finish_bundle(self):
        yield WindowedValue(self.batch, 0, windows=[window.GlobalWindow()])


@pytest.mark.parametrize("dofn", [Wrapped(), GlobalWindowed()], ids=["windowed_value", "window"])
def test_finish_bundle_into_the_global_window(dofn):
    """BD337 where the step's input is in Beam's interval windows, nothing in the global
    window (BD320's own fix is right there)."""
    p = beam.Pipeline()
    created = p | beam.Create([1, 2]) | beam.Map(lambda t: window.TimestampedValue(t, t))
    created | "Global" >> beam.ParDo(dofn)
    created | beam.WindowInto(window.Sessions(10)) | "Windowed" >> beam.ParDo(dofn)
    found = finish_bundle_diagnostics(p)
    assert [(d.code, d.transform) for d in found] == [("BD337", "Windowed")]
    assert "the step's input is in Sessions" in found[0].message


class EitherWindowing(beam.DoFn):
    def start_bundle(self):
        self.batches = {}

    def process(self, x, w=beam.DoFn.WindowParam):
        self.batches.setdefault(w, []).append(x)

    def finish_bundle(self):
        for w, batch in self.batches.items():
            if isinstance(w, window.GlobalWindow):
                yield GlobalWindows.windowed_value(batch)
            else:
                yield WindowedValue(batch, w.max_timestamp(), [w])


def test_a_dofn_that_handles_either_windowing():
    p = beam.Pipeline()
    stamped = p | beam.Create([1, 2]) | beam.Map(lambda t: window.TimestampedValue(t, t))
    stamped | beam.WindowInto(window.FixedWindows(10)) | beam.ParDo(EitherWindowing())
    assert finish_bundle_diagnostics(p) == []
