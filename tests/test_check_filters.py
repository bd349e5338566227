"""What BD334 (a Filter whose function returns nothing drops every element) claims and what
it never claims. The real runs are tests/examples/elements_filter_no_return*.py in
test_accuracy_elements.py; these build pipelines (never run)."""

from __future__ import annotations

import apache_beam as beam
import pytest

from beam_deps.check.detectors.none_elements import none_element_diagnostics


def logs_only(x):
    if x > 1:
        print("keep", x)


def decides(x):
    if x > 1:
        return True
    return False


def decides_in_one_branch(x):
    if x > 1:
        return x


def rejects_only(x):
    if x < 0:
        return False


class Seen(set):
    def add(self, x):  # a set of its own whose add() says whether x was new
        new = x not in self
        super().add(x)
        return new


SEEN = Seen()


class Composite(beam.PTransform):
    def _valid(self, x):
        if x > 1:
            print(x)

    def expand(self, pcoll):
        return pcoll | beam.Filter(self._valid)


def _codes(fn, read=True):
    p = beam.Pipeline()
    kept = p | beam.Create([1, 2, 3]) | beam.Filter(fn)
    if read:
        _ = kept | beam.Map(str)
    return [d.code for d in none_element_diagnostics(p)]


def test_a_filter_that_never_returns_its_decision():
    assert _codes(logs_only) == ["BD334"]
    assert _codes(print) == ["BD334"]
    assert _codes(rejects_only) == ["BD334"]  # only False, else the end: None


def test_a_bound_method_of_a_composite():
    p = beam.Pipeline()
    _ = p | beam.Create([1, 2]) | Composite() | beam.Map(str)
    assert [d.code for d in none_element_diagnostics(p)] == ["BD334"]


@pytest.mark.parametrize(
    "fn", [decides, decides_in_one_branch, lambda x: x > 1, bool, lambda x: SEEN.add(x)]
)
def test_a_filter_that_returns_a_value(fn):
    assert _codes(fn) == []


def test_nothing_reads_the_filters_output():
    assert _codes(logs_only, read=False) == []
