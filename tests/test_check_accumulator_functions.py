"""Which functions in a CombineFn's accumulators BD305 claims (the lifted combine encodes
them with the standard pickle). The real runs are tests/examples/elements_accumulator_
function*.py in test_accuracy_elements.py; these build pipelines (never run). Functions
defined in this test module stand for the script's: the detector asks for ``__main__``, so
they are moved there for the test."""

from __future__ import annotations

import operator

import apache_beam as beam
import pytest

from beam_deps.check.detectors.element_coders import accumulator_function_diagnostics


def preprocess(refs):
    return refs


class Holds(beam.CombineFn):
    def __init__(self, function):
        self.function = function

    def create_accumulator(self):
        return {"function": self.function, "items": []}

    def add_input(self, acc, x):
        acc["items"].append(x)
        return acc

    def merge_accumulators(self, accs):
        return next(iter(accs))

    def extract_output(self, acc):
        return len(acc["items"])


class LooksUp(Holds):
    def __init__(self):
        super().__init__(None)

    def create_accumulator(self):
        return [preprocess, []]  # a global of the script, looked up on each call


class WithSetup(Holds):
    def setup(self):
        self.ready = True


class OwnCoder(Holds):
    def get_accumulator_coder(self):
        return beam.coders.PickleCoder()


@pytest.fixture(autouse=True)
def _as_script(monkeypatch):
    monkeypatch.setattr(preprocess, "__module__", "__main__")


def _codes(fn, library="cloudpickle", session=False) -> list[str]:
    p = beam.Pipeline()
    p | beam.Create([1, 2]) | beam.CombineGlobally(fn)
    return [d.code for d in accumulator_function_diagnostics(p, library, session)]


def test_a_function_held_in_the_accumulator_fails_with_every_pickler():
    assert _codes(Holds(preprocess)) == ["BD305"]
    assert _codes(Holds(preprocess), "dill", session=True) == ["BD305"]  # the payload's copy
    assert _codes(Holds(lambda refs: refs)) == ["BD305"]  # a local object


def test_a_global_looked_up_is_found_by_dills_session():
    assert _codes(LooksUp()) == ["BD305"]
    assert _codes(LooksUp(), "dill", session=True) == []


def test_what_is_never_claimed():
    assert _codes(Holds(operator.add)) == []  # importable: pickled by reference
    assert _codes(Holds(None)) == []
    assert _codes(WithSetup(preprocess)) == []  # create_accumulator may need setup()
    assert _codes(OwnCoder(preprocess)) == []  # the user's own accumulator coder
