"""Which timestamps BD318 claims: a datetime call that surely has no time zone, given to
TimestampedValue directly or through a variable set once. The real runs are the examples in
tests/test_accuracy_elements.py; these read expressions and build pipelines (never run)."""

from __future__ import annotations

import ast
from datetime import datetime, timezone

import apache_beam as beam
import pytest

from beam_deps.check.detectors.timestamps import naive_datetime, naive_timestamp_diagnostics


@pytest.mark.parametrize(
    "text, naive",
    [
        ("datetime.strptime(s, '%Y-%m-%d')", True),
        ("datetime.datetime.strptime(s, '%Y-%m-%d %H:%M')", True),
        ("datetime.now()", True),
        ("datetime.utcnow()", True),
        ("datetime.today()", True),
        ("datetime.fromtimestamp(t)", True),
        ("datetime.utcfromtimestamp(t)", True),
        ("datetime.strptime(s, '%Y-%m-%dT%H:%M%z')", False),  # %z: aware
        ("datetime.strptime(s, FORMAT)", False),  # the format is not known
        ("datetime.now(timezone.utc)", False),
        ("datetime.now(tz=timezone.utc)", False),
        ("datetime.fromtimestamp(t, timezone.utc)", False),
        ("datetime.strptime(s, '%Y').replace(tzinfo=timezone.utc)", False),
        ("datetime.strptime(s, '%Y').timestamp()", False),
        ("parse(s)", False),
        ("row['ts']", False),
    ],
)
def test_naive_datetime(text, naive):
    assert (naive_datetime(ast.parse(text, mode="eval").body) is not None) is naive


class StampsNaive(beam.DoFn):
    def process(self, line):
        when = datetime.strptime(line, "%Y-%m-%d")
        yield beam.window.TimestampedValue(line, when)


class StampsAware(beam.DoFn):
    def process(self, line):
        when = datetime.strptime(line, "%Y-%m-%d")
        when = when.replace(tzinfo=timezone.utc)  # set twice: not claimed
        yield beam.window.TimestampedValue(line, when)


class mine:  # noqa: N801 - stands for a user module with its own TimestampedValue
    class TimestampedValue:
        def __init__(self, value, when):
            self.value, self.when = value, when


@pytest.mark.parametrize(
    "step, codes",
    [
        (beam.ParDo(StampsNaive()), ["BD318"]),
        (beam.ParDo(StampsAware()), []),
        (beam.Map(lambda x: beam.window.TimestampedValue(x, datetime.now())), ["BD318"]),
        (beam.Map(lambda x: beam.window.TimestampedValue(x, datetime.now().timestamp())), []),
        (
            beam.Map(lambda x: beam.window.TimestampedValue(x, timestamp=datetime.utcnow())),
            ["BD318"],
        ),
        (beam.Map(lambda x: mine.TimestampedValue(x, datetime.now())), []),
    ],
    ids=["dofn-variable", "dofn-reassigned", "map-now", "map-seconds", "keyword", "own-class"],
)
def test_steps(step, codes):
    p = beam.Pipeline()
    p | beam.Create(["2024-01-01"]) | step
    assert [d.code for d in naive_timestamp_diagnostics(p)] == codes
