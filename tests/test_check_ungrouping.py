"""What BD338 (a FlatMap that passes a grouping step's pairs on as they are) claims and what
it never claims. The real runs are tests/examples/elements_flatmap_groups*.py in
test_accuracy_elements.py; these build pipelines (never run)."""

from __future__ import annotations

import apache_beam as beam
import pytest

from beam_deps.check.detectors.ungrouping import ungrouping_diagnostics


def same(x):
    return x


def pairs(p, label="Pairs"):
    return p | label >> beam.Create([("a", 1), ("b", 2)])


@pytest.mark.parametrize(
    "build",
    [
        lambda p: pairs(p) | beam.GroupByKey() | beam.FlatMap(lambda x: x),
        lambda p: pairs(p) | beam.GroupIntoBatches(2) | beam.FlatMap(same),
        lambda p: pairs(p) | beam.CombinePerKey(sum) | beam.FlatMap(lambda kv: list(kv)),
        lambda p: {"x": pairs(p), "y": pairs(p, "More")} | beam.CoGroupByKey() | beam.FlatMap(same),
    ],
    ids=["gbk", "batches", "combine", "cogroup"],
)
def test_a_grouping_steps_pairs_passed_on(build):
    p = beam.Pipeline()
    build(p)
    assert [d.code for d in ungrouping_diagnostics(p)] == ["BD338"]


@pytest.mark.parametrize(
    "build",
    [
        lambda p: pairs(p) | beam.GroupByKey() | beam.FlatMap(lambda kv: kv[1]),
        lambda p: pairs(p) | beam.GroupByKey() | beam.Map(lambda x: x),
        lambda p: p | beam.Create([[1, 2], [3]]) | beam.FlatMap(lambda x: x),  # lists: as meant
        lambda p: pairs(p) | beam.GroupByKey() | beam.Map(str) | beam.FlatMap(same),
    ],
    ids=["the-group", "a-map", "not-grouped", "not-directly"],
)
def test_nothing_claimed(build):
    p = beam.Pipeline()
    build(p)
    assert ungrouping_diagnostics(p) == []
