"""Which returns BD314 claims for a text method's result: a str (or bytes) method called on a
value is refused by Beam 2.76+ or iterated character by character before, not a method of
``self`` (a user class may define ``lower``) nor pandas' ``.str`` accessor. And which returns
of a generator BD331 claims: every value but one that is surely nothing. The real runs are
the examples in tests/test_accuracy_elements.py; these build pipelines (never run)."""

from __future__ import annotations

import logging

import apache_beam as beam
import numpy as np
import pytest

from beam_deps.check.detectors.step_outputs import step_output_diagnostics


class Clean(beam.DoFn):
    def process(self, line):
        return line.strip().lower()


class Upper(beam.DoFn):
    def process(self, line):
        return line.split(",")[0].upper()


class OwnLower(beam.DoFn):
    def lower(self):
        return ["a", "b"]

    def process(self, line):
        return self.lower()


class PandasLower(beam.DoFn):
    def process(self, frame):
        return frame.name.str.lower()


class Tokens:
    def __init__(self, line):
        self.words = line.split()

    def lower(self):
        return [w.lower() for w in self.words]


class OwnClassLower(beam.DoFn):
    def process(self, line):
        tokens = Tokens(line)
        return tokens.lower()


class Yields(beam.DoFn):
    def process(self, line):
        yield line.strip().lower()


def _codes(step) -> list[str]:
    p = beam.Pipeline()
    p | beam.Create([" Hi "]) | step | "Read" >> beam.Map(str)
    return [d.code for d in step_output_diagnostics(p)]


@pytest.mark.parametrize(
    "step, codes",
    [
        (beam.ParDo(Clean()), ["BD314"]),
        (beam.ParDo(Upper()), ["BD314"]),
        (beam.FlatMap(lambda line: line.rstrip("\n")), ["BD314"]),
        (beam.ParDo(OwnLower()), []),
        (beam.ParDo(PandasLower()), []),
        (beam.ParDo(Yields()), []),
        (beam.ParDo(OwnClassLower()), []),  # a user class's lower() returns a list
        (beam.FlatMap(lambda line: Tokens(line).lower()), []),
        (beam.FlatMap(lambda line: np.char.lower(np.array(line.split()))), []),
        (beam.Map(lambda line: line.strip()), []),  # Map emits the str itself: right
    ],
    ids=[
        "strip-lower",
        "item-upper",
        "flatmap-rstrip",
        "own-method",
        "pandas-str",
        "yields",
        "own-class",
        "own-class-lambda",
        "numpy-char",
        "map",
    ],
)
def test_text_method_returns(step, codes):
    assert _codes(step) == codes


class ExplodeOrPass(beam.DoFn):
    def process(self, row):
        if isinstance(row, list):
            return [(row[0], v) for v in row[1:]]
        yield row


class StopsEarly(beam.DoFn):
    def process(self, row):
        if not row:
            return None
        if row == "skip":
            return []
        if row == "log":
            return logging.warning("skipped %s", row)
        if row == "none":
            return iter(())
        yield row


class HelperReturns(beam.DoFn):
    def process(self, row):
        def parts():
            return row.split(",")  # the helper's return, not process's

        yield from parts()


def generator_returning(line):
    for word in line.split():
        yield word.lower()
    return line  # FlatMap never reads it


def test_generator_returns():
    assert _codes(beam.ParDo(ExplodeOrPass())) == ["BD331"]
    assert _codes(beam.FlatMap(generator_returning)) == ["BD331"]
    assert _codes(beam.ParDo(StopsEarly())) == []
    assert _codes(beam.ParDo(HelperReturns())) == []
    assert _codes(beam.Map(generator_returning)) == ["BD314"]  # Map: the generator itself


class ParseRow(beam.DoFn):
    """apache/beam#18712: the dict is built, changed, then returned."""

    def process(self, line):
        row = dict(zip(["name", "n"], line.split(",")))
        row["n"] = int(row["n"])
        return row


class ParseOrSkip(beam.DoFn):
    def process(self, line):
        row = {"line": line}
        if not line:
            row = []  # bound to a list too: not surely a dict
        return row


class ParseEach(beam.DoFn):
    def process(self, line):
        row = {"line": line}
        for row in [{"line": line}]:  # noqa: B007 - a loop binds it too: not claimed
            pass
        return row


def parse_pair(line, row):
    row = {"line": line}  # a parameter rebound: the bindings decide
    return row


@pytest.mark.parametrize(
    "step, codes",
    [
        (beam.ParDo(ParseRow()), ["BD314"]),
        (beam.ParDo(ParseOrSkip()), []),
        (beam.ParDo(ParseEach()), []),
        (beam.FlatMap(parse_pair, None), []),
    ],
    ids=["dict-variable", "two-types", "loop", "parameter"],
)
def test_a_returned_variable(step, codes):
    assert _codes(step) == codes
