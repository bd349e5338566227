"""What BD117 (a subclass rebuilt by the pickling recipe it inherits from a library class)
claims and what it never claims. The real runs are tests/examples/elements_inherited_reduce*.py
in test_accuracy_elements.py; these build pipelines (never run) and read their payloads."""

from __future__ import annotations

import collections

import apache_beam as beam
import pytest
from apache_beam.transforms.stats import ApproximateQuantilesCombineFn

from beam_deps.check.detectors.inherited_reducers import inherited_reducer_diagnostics
from beam_deps.check.detectors.worker_code import payload_code
from beam_deps.pipeline.payloads import collect_payloads


def _spec(num_quantiles):
    return ApproximateQuantilesCombineFn.create(num_quantiles)._spec


class Keyed(ApproximateQuantilesCombineFn):
    """The shape of apache/beam#26716: another __init__, the base's __reduce__."""

    def __init__(self, key, num_quantiles=11, a=None, b=None, c=None, d=None, index=5):
        spec = _spec(num_quantiles)
        super().__init__(num_quantiles, spec.buffer_size, spec.num_buffers)
        self.key = key
        self.index = index

    def extract_output(self, accumulator):
        return self.key, super().extract_output(accumulator)[self.index]


class KeyedWithRecipe(Keyed):
    def __reduce__(self):
        return (type(self), (self.key, self._num_quantiles, None, None, None, None, self.index))


class KeyedNeverRead(ApproximateQuantilesCombineFn):
    """Its own attribute changes too, but no worker code reads it."""

    def __init__(self, label, num_quantiles=11, a=None, b=None, c=None, d=None, e=None):
        spec = _spec(num_quantiles)
        super().__init__(num_quantiles, spec.buffer_size, spec.num_buffers)
        self.label = label


class KeepsNaN(collections.OrderedDict):
    """A library recipe that keeps the attributes, one of which is a NaN (never == itself)."""

    def __init__(self, fill=float("nan")):
        super().__init__()
        self.fill = fill

    def __call__(self, x):
        return self.fill if x is None else x


class Counts(collections.OrderedDict):
    """A library recipe that keeps the instance's attributes (OrderedDict's __reduce__)."""

    def __init__(self, prefix="n="):
        super().__init__()
        self.prefix = prefix

    def __call__(self, x):
        return f"{self.prefix}{x}"


class Plain(beam.DoFn):
    def __init__(self, prefix):
        self.prefix = prefix

    def process(self, x):
        yield f"{self.prefix}{x}"


def _findings(transform, library="cloudpickle"):
    p = beam.Pipeline()
    _ = p | beam.Create([1.0, 2.0]) | transform
    serialized = collect_payloads(p, library)
    return inherited_reducer_diagnostics(payload_code(serialized.payloads), library)


def test_a_subclass_rebuilt_with_the_bases_arguments():
    (d,) = _findings(beam.CombineGlobally(Keyed("latency")))
    assert d.code == "BD117" and d.severity.value == "error"
    assert "Keyed inherits __reduce__ from apache_beam.transforms.stats." in d.message
    assert "key is 11 (here 'latency')" in d.message
    assert d.path == "Keyed.key" and d.file == __file__


@pytest.mark.parametrize(
    "transform",
    [
        beam.CombineGlobally(KeyedWithRecipe("latency")),  # its own recipe
        beam.CombineGlobally(KeyedNeverRead("latency")),  # changed, but never read there
        beam.Map(Counts()),  # a library recipe that keeps the attributes
        beam.Map(KeepsNaN()),  # ... one of them NaN
        beam.ParDo(Plain("p=")),  # no recipe but object's
        beam.CombineGlobally(ApproximateQuantilesCombineFn.create(11)),  # Beam's own class
    ],
    ids=["own-recipe", "never-read", "recipe-keeps-state", "nan", "no-recipe", "library-class"],
)
def test_nothing_claimed(transform):
    assert _findings(transform) == []
