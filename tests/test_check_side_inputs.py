"""How many elements a side PCollection surely has (BD317 claims AsSingleton only where the
construction fixes a count of two or more). The real runs are the examples in
tests/test_accuracy_elements.py; these build pipelines (never run) and ask."""

from __future__ import annotations

import apache_beam as beam
import pytest

from beam_deps.check.detectors.side_inputs import (
    cogroup_input_diagnostics,
    element_count,
    not_pairs,
    side_input_view_diagnostics,
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
        # a singleton per window: the count of the whole says nothing
        (lambda p: p | beam.Create([5, 7]) | beam.WindowInto(beam.window.FixedWindows(60)), None),
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
        "fixed-windows",
        "combine",
        "filter",
        "flatmap",
        "create-generator",
    ],
)
def test_element_count(build, count):
    p, side = _side(build)
    assert element_count(side) == count
    codes = [d.code for d in side_input_view_diagnostics(p)]
    assert codes == (["BD317"] if count and count > 1 else [])


def _dict_side(build):
    p = beam.Pipeline()
    side = build(p)
    p | "Main" >> beam.Create([1]) | beam.Map(lambda x, s: x, s=beam.pvalue.AsDict(side))
    return p, side


@pytest.mark.parametrize(
    "build, elements",
    [
        (lambda p: p | beam.Create([{"id": 1, "n": "a", "t": "x"}]), "dicts of 3 fields"),
        (lambda p: p | beam.Create([{"id": 1, "n": "a"}]), "dicts of 2 fields"),
        (lambda p: p | beam.Create([{"id": 1}, {"id": 2, "n": "b"}]), "dicts"),
        (lambda p: p | beam.Create([1, 2]), "int values"),
        (lambda p: p | beam.Create([(1, 2, 3)]), "tuple values"),
        (lambda p: p | beam.Create(["ab"]) | beam.Map(lambda s: {"s": s}), "dicts"),
        (lambda p: p | beam.Create([("a", 1), ("b", 2)]), None),
        (lambda p: p | beam.Create(["ab", "cd"]), None),  # two characters: a pair to dict()
        (lambda p: p | beam.Create([beam.Row(code="us", name="US")]), None),  # two fields
        (lambda p: p | beam.Create([beam.Row(code="us", name="US", n=1)]), "Row values"),
        (lambda p: p | beam.Create([["a", 1]]), None),
        (lambda p: p | beam.Create([{"id": 1}, ("b", 2)]), None),  # one pair: not claimed
        (lambda p: p | beam.Create([{"id": 1}]) | beam.Map(lambda r: (r["id"], r)), None),
        (lambda p: p | beam.Create([{"id": 1}]) | beam.Map(lambda r: r), None),
        (lambda p: p | beam.Create(["ab"]) | beam.FlatMap(lambda s: [{"s": s}]), None),
    ],
    ids=[
        "rows-3",
        "rows-2",
        "rows-mixed",
        "ints",
        "triples",
        "map-to-dict",
        "pairs",
        "two-characters",
        "row-of-two",
        "row-of-three",
        "list-pairs",
        "one-pair",
        "keyed",
        "map-unknown",
        "flatmap",
    ],
)
def test_as_dict_of_what_is_not_pairs(build, elements):
    p, side = _dict_side(build)
    assert not_pairs(side) == elements
    codes = [d.code for d in side_input_view_diagnostics(p)]
    assert codes == (["BD317"] if elements else [])


@pytest.mark.parametrize(
    "build, codes",
    [
        (lambda p: p | "B" >> beam.Create(["ann:1"]), ["BD321"]),
        (lambda p: p | "B" >> beam.Create([{"id": 1}]) | beam.Map(lambda r: {"r": r}), ["BD321"]),
        (lambda p: p | "B" >> beam.Create([("ann", 1)]), []),
        (lambda p: p | "B" >> beam.Create(["ann:1"]) | beam.Map(lambda s: s.split(":")), []),
    ],
    ids=["strings", "map-to-dicts", "pairs", "map-unknown"],
)
def test_cogroup_inputs(build, codes):
    p = beam.Pipeline()
    left = p | "A" >> beam.Create([("ann", 2)])
    {"left": left, "right": build(p)} | beam.CoGroupByKey()
    found = cogroup_input_diagnostics(p)
    assert [d.code for d in found] == codes
    assert all("'right'" in d.message for d in found)
