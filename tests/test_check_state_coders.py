"""What BD322 (a state cell's coder cannot encode what is written) claims, and what it
leaves alone. The real runs are elements_state_coder*.py in tests/test_accuracy_elements.py;
these build pipelines (never run) and ask."""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.coders import PickleCoder, StrUtf8Coder, VarIntCoder
from apache_beam.transforms.combiners import CountCombineFn
from apache_beam.transforms.userstate import (
    BagStateSpec,
    CombiningValueStateSpec,
    ReadModifyWriteStateSpec,
    SetStateSpec,
)

from beam_deps.check.detectors.state_coders import state_coder_diagnostics

LAST = ReadModifyWriteStateSpec("last", VarIntCoder())
TEXT = ReadModifyWriteStateSpec("text", StrUtf8Coder())
BAG = BagStateSpec("bag", VarIntCoder())
SEEN = SetStateSpec("seen", VarIntCoder())
ANY = BagStateSpec("any", PickleCoder())
COUNT = CombiningValueStateSpec("count", VarIntCoder(), CountCombineFn())
LAST_CELL, TEXT_CELL, BAG_CELL, SEEN_CELL, ANY_CELL, COUNT_CELL = (
    beam.DoFn.StateParam(spec) for spec in (LAST, TEXT, BAG, SEEN, ANY, COUNT)
)


class Unpacked(beam.DoFn):
    def process(self, kv, last=LAST_CELL):
        key, name = kv
        last.write(name)
        yield key


class Indexed(beam.DoFn):
    def process(self, kv, bag=BAG_CELL):
        bag.add(kv[1])
        yield kv[0]


class Element(beam.DoFn):
    def process(self, kv, seen=SEEN_CELL):
        seen.add(kv)
        yield kv[0]


class Literal(beam.DoFn):
    def process(self, kv, last=LAST_CELL):
        last.write(f"seen {kv[0]}")
        yield kv[0]


class Converted(beam.DoFn):
    def process(self, kv, last=LAST_CELL):
        key, name = kv
        last.write(len(name))
        yield key


class RightCoder(beam.DoFn):
    def process(self, kv, text=TEXT_CELL):
        key, name = kv
        text.write(name)
        yield key


class Branch(beam.DoFn):
    def process(self, kv, last=LAST_CELL):
        key, value = kv
        if isinstance(value, int):
            last.write(value)
        yield key


class Rebound(beam.DoFn):
    def process(self, kv, last=LAST_CELL):
        key, value = kv
        value = int(value)
        last.write(value)
        yield key


class Guarded(beam.DoFn):
    def process(self, kv, last=LAST_CELL):
        key, value = kv
        if value is None:
            return
        last.write(value)
        yield key


class Pickled(beam.DoFn):
    def process(self, kv, bag=ANY_CELL):
        bag.add(kv[1])
        yield kv[0]


class Combining(beam.DoFn):
    def process(self, kv, count=COUNT_CELL):
        count.add(kv[1])
        yield kv[0]


NAMES = [("a", "ann"), ("b", "bob")]
MIXED = [("a", 1), ("b", "bob")]


@pytest.mark.parametrize(
    "fn, values, found",
    [
        (Unpacked(), NAMES, "writes name"),
        (Indexed(), NAMES, "adds kv[1]"),
        (Element(), NAMES, "adds kv"),
        (Literal(), [("a", 1)], "writes f'seen {kv[0]}'"),
        (Converted(), NAMES, None),  # len() is an int
        (RightCoder(), NAMES, None),  # text into a text cell
        (Branch(), MIXED, None),  # only some values fail, and the data decides
        (Branch(), NAMES, "writes value"),  # every value fails where it is reached
        (Rebound(), NAMES, None),  # the name is rebound: its value is not the element's
        (Guarded(), [("a", 1), ("b", None)], None),  # None leaves before the write (rev22)
        (Pickled(), NAMES, None),  # PickleCoder takes anything
        (Combining(), NAMES, None),  # a CombineFn's input, not the coder's
    ],
    ids=[
        "unpacked",
        "indexed",
        "element",
        "literal",
        "converted",
        "right-coder",
        "branch-mixed",
        "branch-all",
        "rebound",
        "guarded",
        "pickled",
        "combining",
    ],
)
def test_state_writes(fn, values, found):
    p = beam.Pipeline()
    p | beam.Create(values) | beam.ParDo(fn)
    diagnostics = state_coder_diagnostics(p)
    if found is None:
        assert diagnostics == []
    else:
        (d,) = diagnostics
        assert d.code == "BD322" and found in d.message and "cannot encode" in d.message
        assert d.line and d.transform


def test_input_not_made_by_create_is_not_claimed():
    p = beam.Pipeline()
    rows = p | beam.Create(["a,ann"]) | beam.Map(lambda line: tuple(line.split(",")))
    rows | beam.ParDo(Unpacked())
    assert state_coder_diagnostics(p) == []
