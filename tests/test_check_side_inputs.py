"""How many elements a side PCollection surely has (BD317 claims AsSingleton only where the
construction fixes a count of two or more). The real runs are the examples in
tests/test_accuracy_elements.py; these build pipelines (never run) and ask."""

from __future__ import annotations

import apache_beam as beam
import pytest

from beam_deps.check.detectors.side_inputs import (
    element_count,
    singleton_side_input_diagnostics,
)


def _side(build):
    p = beam.Pipeline()
    side = build(p)
    p | "Main" >> beam.Create([1]) | beam.Map(lambda x, s: x, s=beam.pvalue.AsSingleton(side))
    return p, side


@pytest.mark.parametrize(
    "build, count",
    [
        (lambda p: p | beam.Create([5, 7]), 2),
        (lambda p: p | beam.Create([5]), 1),
        (lambda p: p | beam.Create([{"m": 5}, {"m": 7}, {}]) | beam.Map(lambda d: d), 3),
        (lambda p: p | beam.Create([("a", 5), ("b", 7)]) | beam.MapTuple(lambda k, v: v), 2),
        (lambda p: p | beam.Create([5, 7]) | beam.WindowInto(beam.window.GlobalWindows()), 2),
        (lambda p: p | beam.Create([5, 7]) | beam.CombineGlobally(max), 1),  # InjectDefault
        (lambda p: p | beam.Create([5, 7]) | beam.Filter(lambda x: x > 6), None),
        (lambda p: p | beam.Create([[5, 7]]) | beam.FlatMap(lambda xs: xs), None),
        (lambda p: p | beam.Create(x for x in [5, 7]), 2),  # Create keeps a list of them
    ],
    ids=[
        "create",
        "create-one",
        "map",
        "maptuple",
        "window",
        "combine",
        "filter",
        "flatmap",
        "create-generator",
    ],
)
def test_element_count(build, count):
    p, side = _side(build)
    assert element_count(side) == count
    codes = [d.code for d in singleton_side_input_diagnostics(p)]
    assert codes == (["BD317"] if count and count > 1 else [])
