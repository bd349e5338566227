"""What BD323 (a step's function needs more arguments than Beam gives) claims, and what it
leaves alone. The real runs are elements_map_pair_args*.py and elements_process_window*.py in
tests/test_accuracy_elements.py; these build pipelines (never run) and ask."""

from __future__ import annotations

import functools

import apache_beam as beam
import pytest

from beam_deps.check.detectors.call_arity import call_arity_diagnostics


def two(k, v):
    return k


def keyword_only(x, *, limit):
    return x


class Window(beam.DoFn):
    def process(self, element, window):
        yield element


class WindowParam(beam.DoFn):
    def process(self, element, window=beam.DoFn.WindowParam):
        yield element


class Side(beam.DoFn):
    def process(self, element, lookup):
        yield lookup.get(element)


class Flexible(beam.DoFn):
    def process(self, element, *args, **kwargs):
        yield element


def with_limit(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, 10, **kwargs)

    return wrapper


@with_limit
def limited(x, limit):
    return x[:limit]


class Callable:
    def __call__(self, k, v):
        return k


def _found(apply) -> list[str]:
    p = beam.Pipeline()
    pairs = p | beam.Create([("a", 1)])
    apply(pairs, p)
    return [d.message for d in call_arity_diagnostics(p)]


@pytest.mark.parametrize(
    "apply, missing",
    [
        (lambda c, p: c | beam.Map(lambda k, v: k), "argument: 'v'"),
        (lambda c, p: c | beam.Map(two), "argument: 'v'"),
        (lambda c, p: c | beam.FlatMap(two), "argument: 'v'"),
        (lambda c, p: c | beam.Filter(two), "argument: 'v'"),
        (lambda c, p: c | beam.ParDo(Window()), "argument: 'window'"),
        (lambda c, p: c | beam.Map(keyword_only), "keyword-only argument: 'limit'"),
        (lambda c, p: c | beam.Map(Callable()), "argument: 'v'"),
        (lambda c, p: c | beam.CombinePerKey(two), "argument: 'v'"),  # one iterable only
        (lambda c, p: c | beam.Values() | beam.CombineGlobally(two), "argument: 'v'"),
    ],
    ids=[
        "lambda",
        "function",
        "flatmap",
        "filter",
        "process-window",
        "keyword-only",
        "callable",
        "combine-per-key",
        "combine-globally",
    ],
)
def test_reported(apply, missing):
    (message,) = _found(apply)
    assert missing in message and "missing 1 required" in message


@pytest.mark.parametrize(
    "apply",
    [
        lambda c, p: c | beam.MapTuple(lambda k, v: k),  # the fields are the arguments
        lambda c, p: c | beam.Map(two, 5),  # the extra argument
        lambda c, p: c | beam.Map(two, v=5),
        lambda c, p: c | beam.Map(keyword_only, limit=3),
        lambda c, p: c | beam.ParDo(WindowParam()),  # Beam fills the default
        lambda c, p: c | beam.ParDo(Side(), beam.pvalue.AsDict(p | "D" >> beam.Create([]))),
        lambda c, p: c | beam.ParDo(Flexible()),
        lambda c, p: c | beam.Map(functools.partial(two, v=1)),  # not read: a partial
        lambda c, p: c | beam.Map(str),  # not the user's function
        lambda c, p: c | beam.Map(lambda kv: kv[0]),
        lambda c, p: c | beam.Map(limited),  # the decorator's wrapper is what Beam calls
        lambda c, p: c | beam.CombinePerKey(two, 3),  # the extra argument
        lambda c, p: c | beam.CombinePerKey(sum),
    ],
    ids=[
        "maptuple",
        "extra-arg",
        "extra-kwarg",
        "kwarg-given",
        "window-param",
        "side-input",
        "varargs",
        "partial",
        "builtin",
        "one-arg",
        "decorated",
        "combine-extra-arg",
        "combine-sum",
    ],
)
def test_not_reported(apply):
    assert _found(apply) == []
