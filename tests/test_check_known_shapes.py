"""What BD335 (dicts into a GroupByKey) and BD336 (an epoch in milliseconds read as seconds)
claim and what they never claim. The real runs are tests/examples/elements_json_groupbykey*.py
and elements_millis_timestamps*.py in test_accuracy_elements.py; these build pipelines (never
run) and run check's known elements through them."""

from __future__ import annotations

import json

import apache_beam as beam
from apache_beam.transforms import window

from beam_deps.check.detectors.known_elements import known_element_diagnostics

EVENTS = ['{"user": "ann", "n": 1}', '{"user": "bob", "n": 2}']
SECONDS = 1_700_000_040


def _findings(build, events=EVENTS):
    p = beam.Pipeline()
    build(p | beam.Create(events) | "Parse" >> beam.Map(json.loads))
    return [d for d in known_element_diagnostics(p) if d.code in ("BD335", "BD336")]


def test_a_dict_of_two_keys_is_grouped_by_its_key_names():
    (d,) = _findings(lambda rows: rows | beam.GroupByKey())
    assert d.code == "BD335" and "the pair ('user', 'n')" in d.message and "silently" in d.message


def test_a_combine_per_key_unpacks_the_dict():
    three = [e.replace("}", ', "x": 0}') for e in EVENTS]
    (d,) = _findings(lambda rows: rows | beam.CombinePerKey(sum), three)
    assert "too many values to unpack" in d.message


def test_keyed_or_grouped_by_a_function_is_no_finding():
    assert (
        _findings(lambda rows: rows | beam.Map(lambda r: (r["user"], r)) | beam.GroupByKey()) == []
    )
    assert _findings(lambda rows: rows | beam.GroupBy(lambda r: r["user"])) == []


def _stamped(at, apart, windowed=True):
    """Two events ``apart`` (in the stamps' unit) from ``at``, 60-second windows."""

    def build(rows):
        stamped = rows | beam.Map(lambda r: window.TimestampedValue(r, at + r["n"] * apart))
        if windowed:
            stamped = stamped | beam.WindowInto(window.FixedWindows(60))
        return stamped | beam.Map(lambda r: (r["user"], 1)) | beam.CombinePerKey(sum)

    return build


def test_milliseconds_then_windows():
    (d,) = _findings(_stamped(SECONDS * 1000, 20_000))  # 20 s apart, in milliseconds
    assert d.code == "BD336" and "epoch in milliseconds" in d.message
    assert "the 2 elements here in 2 windows, where read as milliseconds they fill 1" in d.message


def test_seconds_or_no_windows_is_no_finding():
    assert _findings(_stamped(SECONDS, 20)) == []
    assert _findings(_stamped(SECONDS * 1000, 20_000, windowed=False)) == []
    assert _findings(_stamped(SECONDS * 1000, 20)) == []  # 20 ms apart: one window either way
