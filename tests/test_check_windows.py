"""What BD326 (a Flatten of inputs in different kinds of windows) and BD327 (windows over
elements that share one timestamp) claim, and what they leave alone. The real runs are
elements_flatten_windows*.py and elements_window_no_timestamps*.py in
tests/test_accuracy_elements.py; these build pipelines (never run) and ask."""

from __future__ import annotations

import json
import typing

import apache_beam as beam
import pytest
from apache_beam.transforms.window import FixedWindows, Sessions, TimestampedValue

from beam_deps.check.detectors.windows import (
    flatten_window_diagnostics,
    single_timestamp_window_diagnostics,
)


def stamp(kv):
    return TimestampedValue(kv, kv[1])


TV = TimestampedValue  # an alias hides the name, not the class


class Doubles(beam.DoFn):
    def process(self, kv):
        yield kv[0], kv[1] * 2


class CallsALibrary(beam.DoFn):
    """Its helper comes from a module (a team's eventlib.with_event_time): it may stamp."""

    def process(self, kv):
        yield json.loads(json.dumps(kv))


class Restamps(beam.DoFn):
    def process(self, kv, ts=beam.DoFn.TimestampParam):
        yield TimestampedValue(kv, ts + kv[1])


class Buffers(beam.DoFn):
    def start_bundle(self):
        self.rows = []

    def process(self, kv):
        self.rows.append(kv)

    def finish_bundle(self):
        for kv in self.rows:
            yield beam.transforms.window.GlobalWindows.windowed_value(kv)


class ByValue(beam.transforms.window.NonMergingWindowFn):
    """A WindowFn of the user's: it may assign windows by the element, not its timestamp."""

    def assign(self, context):
        value = context.element[1]
        return [beam.transforms.window.IntervalWindow(value, value + 1)]

    def get_window_coder(self):
        return beam.coders.coders.IntervalWindowCoder()


def _flatten(second) -> list:
    p = beam.Pipeline()
    first = p | "A" >> beam.Create([("a", 1)]) | "WA" >> beam.WindowInto(FixedWindows(60))
    other = second(p | "B" >> beam.Create([("b", 2)]))
    (first, other) | beam.Flatten()
    return flatten_window_diagnostics(p)


@pytest.mark.parametrize(
    "second, codes",
    [
        (lambda b: b, ["BD326"]),  # the global window
        (lambda b: b | "WB" >> beam.WindowInto(Sessions(10)), []),  # interval windows too
        (lambda b: b | "WB" >> beam.WindowInto(FixedWindows(120)), []),  # another size
        (lambda b: b | "WB" >> beam.WindowInto(FixedWindows(60)), []),
    ],
    ids=["global", "sessions", "other-size", "same"],
)
def test_flatten(second, codes):
    assert [d.code for d in _flatten(second)] == codes


def _windowed(middle, after) -> list:
    p = beam.Pipeline()
    rows = p | beam.Create([("a", 5), ("a", 70)])
    windowed = middle(rows) | beam.WindowInto(FixedWindows(60))
    after(windowed)
    return single_timestamp_window_diagnostics(p)


COUNT = lambda w: w | beam.CombinePerKey(sum)  # noqa: E731
WRITE = lambda w: w | beam.Map(str)  # noqa: E731


@pytest.mark.parametrize(
    "middle, after, codes",
    [
        (lambda r: r, COUNT, ["BD327"]),
        (lambda r: r | beam.Map(lambda kv: (kv[0], 1)), COUNT, ["BD327"]),
        (lambda r: r | beam.Filter(lambda kv: kv[1] > 0), COUNT, ["BD327"]),
        (lambda r: r | beam.Map(stamp), COUNT, []),  # a helper sets the timestamp
        (lambda r: r | beam.Map(lambda kv: TimestampedValue(kv, kv[1])), COUNT, []),
        (lambda r: r | beam.Reshuffle(), COUNT, []),  # not a step read here: unknown
        (lambda r: r | beam.Map(lambda kv: TV(kv, kv[1])), COUNT, []),
        (lambda r: r, WRITE, []),  # nothing grouped: the windows decide nothing
        (lambda r: r, lambda w: w | beam.GroupByKey(), ["BD327"]),
        (lambda r: r | beam.ParDo(Doubles()), COUNT, ["BD327"]),  # a DoFn keeps timestamps
        (lambda r: r | beam.ParDo(Restamps()), COUNT, []),
        (lambda r: r | beam.ParDo(Buffers()), COUNT, []),  # WindowedValues of its own
        (lambda r: r | beam.ParDo(CallsALibrary()), COUNT, []),
        # batches in the global window carry its end, whatever the elements had
        (
            lambda r: r | beam.Map(stamp) | beam.BatchElements() | beam.FlatMap(lambda b: b),
            COUNT,
            ["BD327"],
        ),
    ],
    ids=[
        "direct",
        "map",
        "filter",
        "helper",
        "stamped",
        "reshuffle",
        "alias",
        "no-grouping",
        "gbk",
        "dofn",
        "dofn-stamps",
        "dofn-windowed-values",
        "dofn-library-call",
        "batched",
    ],
)
def test_windows_over_one_timestamp(middle, after, codes):
    assert [d.code for d in _windowed(middle, after)] == codes


def test_a_create_of_timestamped_values_keeps_their_timestamps():
    p = beam.Pipeline()
    rows = p | beam.Create([TimestampedValue(("a", 1), 5), TimestampedValue(("a", 1), 70)])
    windowed = rows | beam.WindowInto(FixedWindows(60))
    windowed | beam.Map(tuple).with_output_types(typing.Tuple[str, int]) | beam.GroupByKey()  # noqa: UP006
    assert single_timestamp_window_diagnostics(p) == []


def test_a_function_that_cannot_be_read_may_set_timestamps():
    """Beam's window snippet stamps its elements in a lambda of Beam's own file, which is not
    the user's code: unknown, so not claimed (the Beam examples survey)."""
    p = beam.Pipeline()
    rows = p | beam.Create([("a", 5)])
    stamped = rows | beam.Map(TimestampedValue, 5)  # a class: no code to read
    windowed = stamped | beam.WindowInto(FixedWindows(60))
    windowed | beam.Map(tuple).with_output_types(typing.Tuple[str, int]) | beam.GroupByKey()  # noqa: UP006
    assert single_timestamp_window_diagnostics(p) == []


def test_a_windowfn_of_the_users_may_window_by_the_element():
    p = beam.Pipeline()
    rows = p | beam.Create([("a", 5), ("a", 70)])
    rows | beam.WindowInto(ByValue()) | beam.CombinePerKey(sum)
    assert single_timestamp_window_diagnostics(p) == []


def test_batches_in_windows_keep_to_them():
    p = beam.Pipeline()
    rows = p | beam.Create([("a", 5), ("a", 70)]) | beam.Map(stamp)
    windowed = rows | beam.WindowInto(FixedWindows(60)) | beam.BatchElements()
    COUNT(windowed | beam.FlatMap(lambda b: b) | "Again" >> beam.WindowInto(FixedWindows(60)))
    assert single_timestamp_window_diagnostics(p) == []
