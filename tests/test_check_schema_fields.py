"""What BD328 (a schema transform's field the elements do not have) claims, and what it
leaves alone. The real runs are elements_groupby_dict_field*.py in
tests/test_accuracy_elements.py; these build pipelines (never run) and ask."""

from __future__ import annotations

import json
import typing

import apache_beam as beam
import pytest

from beam_deps.check.detectors.schema_fields import schema_field_diagnostics


class Sale(typing.NamedTuple):
    region: str
    amount: int


DICTS = [{"region": "eu", "amount": 3}]


@pytest.mark.parametrize(
    "make, found",
    [
        (lambda p: p | beam.Create(DICTS) | beam.GroupBy("region"), "'region'"),
        (
            lambda p: (
                p
                | beam.Create(DICTS)
                | beam.GroupBy(lambda d: d["region"]).aggregate_field("amount", sum, "t")
            ),
            "'amount'",
        ),
        (lambda p: p | beam.Create(['{"a": 1}']) | beam.Map(json.loads) | beam.Select("a"), "'a'"),
        (lambda p: p | beam.Create([("eu", 3)]) | beam.GroupBy("region"), "tuple"),
        (lambda p: p | beam.Create([Sale("eu", 3)]) | beam.GroupBy("region"), None),
        (lambda p: p | beam.Create([beam.Row(region="eu")]) | beam.GroupBy("region"), None),
        (
            lambda p: (
                p | beam.Create(DICTS) | beam.Map(lambda d: beam.Row(**d)) | beam.GroupBy("region")
            ),
            None,
        ),
        (lambda p: p | beam.Create(DICTS) | beam.GroupBy(lambda d: d["region"]), None),
    ],
    ids=["groupby", "aggregate", "select-json", "tuples", "namedtuple", "row", "to-rows", "fn"],
)
def test_schema_fields(make, found):
    p = beam.Pipeline()
    make(p)
    diagnostics = schema_field_diagnostics(p)
    if found is None:
        assert diagnostics == []
    else:
        (d,) = diagnostics
        assert d.code == "BD328" and found in d.message
