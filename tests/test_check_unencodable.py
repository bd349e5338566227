"""Which emitted values BD316 claims: a dict view or a generator inside an element, not a view
or a generator that Beam iterates itself, nor an object attribute's ``keys()``.

The real runs that prove the two kinds (a refused ``dict_keys``, a generator emptied on the
way) are the examples in tests/test_accuracy_elements.py; these build pipelines (never run)
and ask the detector what it reads in each shape.
"""

from __future__ import annotations

import email
import json
import re

import apache_beam as beam
import pytest

from beam_deps.check.detectors.unencodable import unencodable_value_diagnostics

PAIR = re.compile(r"(\w+)=(\d+)")


def words(text):
    yield from text.split()


class PairsWithView(beam.DoFn):
    def process(self, d):
        yield d["k"], d.items()


class PairsWithNamedGenerator(beam.DoFn):
    def process(self, line):
        found = (w for w in line.split())
        yield line, found


class PairsWithOwnGenerator(beam.DoFn):
    def tokens(self, line):
        yield from line.split()

    def process(self, line):
        yield line, self.tokens(line)


class ReturnsListOfPairs(beam.DoFn):
    def process(self, d):
        return [(d["k"], d.values())]


class ClientKeys(beam.DoFn):
    def __init__(self):
        self.client = {"a": 1}

    def process(self, line):
        yield line, self.client.keys()  # an object's attribute: may be anything


class ItemsIterated(beam.DoFn):
    def process(self, d):
        return d.items()  # Beam iterates it: each item is a plain pair


class YieldsFromItems(beam.DoFn):
    def process(self, d):
        yield from d.items()


class NameRebound(beam.DoFn):
    def process(self, line):
        found = (w for w in line.split())
        found = list(found)
        yield line, found


def _codes(step) -> list[tuple[str, str]]:
    p = beam.Pipeline()
    out = p | beam.Create([{"k": "a"}]) | step
    out | "Read" >> beam.Map(str)
    return [(d.code, d.severity.name.lower()) for d in unencodable_value_diagnostics(p)]


@pytest.mark.parametrize(
    "step",
    [
        beam.Map(lambda d: (d["k"], d.keys())),
        beam.Map(lambda d: d.items()),  # the whole element is the view
        beam.Map(lambda d: (d["k"], (v for v in d.values()))),
        beam.Map(lambda d: (d["k"], words(d["k"]))),
        beam.Map(lambda d: (d["k"], dict(d).keys())),
        beam.FlatMap(lambda d: [(d["k"], d.keys())]),
        beam.ParDo(PairsWithView()),
        beam.ParDo(PairsWithNamedGenerator()),
        beam.ParDo(PairsWithOwnGenerator()),
        beam.ParDo(ReturnsListOfPairs()),
        beam.Map(lambda d: (d["k"], PAIR.match(d["k"]))),
        beam.Map(lambda d: re.search("a", d["k"])),
    ],
    ids=[
        "map-keys",
        "map-whole-view",
        "map-genexp",
        "map-generator-function",
        "map-dict-call",
        "flatmap-list-of-pairs",
        "dofn-items",
        "dofn-named-genexp",
        "dofn-own-generator-method",
        "dofn-returns-list",
        "pattern-match",
        "re-search",
    ],
)
def test_view_or_generator_inside_an_element_is_an_error(step):
    assert _codes(step) == [("BD316", "error")]


@pytest.mark.parametrize(
    "step",
    [
        beam.Map(lambda d: (d["k"], list(d.keys()))),
        beam.Map(lambda d: (d["k"], sorted(d))),
        beam.Map(lambda d: (d["k"], [v for v in d.values()])),
        beam.Map(lambda d: (d["k"], tuple(v for v in d.values()))),
        beam.FlatMap(lambda d: d.items()),
        beam.FlatMap(lambda d: (v for v in d.values())),
        beam.FlatMap(words),
        beam.ParDo(ClientKeys()),
        beam.ParDo(ItemsIterated()),
        beam.ParDo(YieldsFromItems()),
        beam.ParDo(NameRebound()),
        beam.Map(lambda d: PAIR.match(d["k"]).groups()),
        beam.FlatMap(lambda d: PAIR.finditer(d["k"])),
    ],
    ids=[
        "list-of-keys",
        "sorted",
        "list-comprehension",
        "tuple-of-generator",
        "flatmap-returns-items",
        "flatmap-returns-genexp",
        "flatmap-generator-function",
        "attribute-keys",
        "process-returns-items",
        "yield-from-items",
        "name-rebound-to-list",
        "match-groups",
        "flatmap-finditer",
    ],
)
def test_what_beam_iterates_or_a_list_is_not_claimed(step):
    assert _codes(step) == []


def test_an_output_nothing_reads_is_a_warning():
    p = beam.Pipeline()
    p | beam.Create([{"k": "a"}]) | beam.Map(lambda d: (d["k"], d.keys()))
    found = unencodable_value_diagnostics(p)
    assert [(d.code, d.severity.name.lower()) for d in found] == [("BD316", "warning")]
    assert "cannot pickle 'dict_keys' object" in found[0].message


def _after(upstream, step) -> list[str]:
    p = beam.Pipeline()
    out = p | beam.Create(['{"k": "a"}']) | upstream | step
    out | "Read" >> beam.Map(str)
    return [d.code for d in unencodable_value_diagnostics(p)]


def test_a_view_of_parsed_json_rows_is_claimed():
    assert _after(beam.Map(json.loads), beam.Map(lambda d: (d["k"], d.keys()))) == ["BD316"]


@pytest.mark.parametrize(
    "upstream, step",
    [
        # elements of unknown type: keys() may be a list (an email message's, a client's)
        (beam.FlatMap(lambda s: [s]), beam.Map(lambda d: (d, d.keys()))),
        (beam.Map(str.strip), beam.Map(lambda s: (s, email.message_from_string(s).keys()))),
        (beam.Map(json.loads), beam.Map(lambda d: (d["k"], d["tags"].items()))),  # an item
    ],
    ids=["unknown-elements", "email-message", "item-of-a-row"],
)
def test_keys_of_what_may_not_be_a_dict_is_not_claimed(upstream, step):
    assert _after(upstream, step) == []
