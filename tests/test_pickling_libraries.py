"""The pickler layer is Beam's own facade: same bytes, same library switching."""

from __future__ import annotations

import threading

import pytest
from apache_beam.internal import pickler as beam_pickler

from beam_deps.pickling import (
    dumps,
    loads,
    normalize_library,
    raw_pickle,
    references,
    using_library,
)
from beam_deps.pickling.libraries import observing


def double(x):
    return 2 * x


def test_normalize_library_maps_default_to_beams_default():
    assert normalize_library("default") == "cloudpickle"
    assert normalize_library(None) == "cloudpickle"
    assert normalize_library("DILL") == "dill"
    with pytest.raises(ValueError, match="unknown pickle library 'pickle5'"):
        normalize_library("pickle5")


def test_dumps_is_byte_identical_to_beams_pickler(library):
    fn = lambda x: double(x) + 1  # noqa: E731
    with using_library(library):
        expected = beam_pickler.dumps(fn)
    assert dumps(fn, library) == expected
    assert loads(dumps(fn, library), library)(3) == 7


def test_using_library_restores_the_previous_library(library):
    assert beam_pickler.is_currently_cloudpickle()
    with using_library(library):
        assert beam_pickler.is_currently_dill() == (library != "cloudpickle")
    assert beam_pickler.is_currently_cloudpickle()


def test_beam_lock_reducer_is_used():
    """Beam registers a reducer so a lock pickles as a fresh lock; we must see the same."""
    lock = threading.Lock()
    lock.acquire()
    restored = loads(dumps({"lock": lock}))["lock"]
    assert restored.acquire(blocking=False), "Beam recreates locks unlocked"


def test_observer_sees_every_object_and_leaves_bytes_unchanged(library):
    payload = {"numbers": [1, 2, 3], "fn": double}
    seen: list = []
    with using_library(library):
        plain = beam_pickler.dumps(payload)
        with observing(seen):
            observed = beam_pickler.dumps(payload)
    assert observed == plain
    assert any(obj is payload["numbers"] for obj in seen)
    assert any(obj is double for obj in seen)


def test_raw_pickle_handles_bz2_and_zlib():
    with using_library("cloudpickle"):
        bz = beam_pickler.dumps([1, 2])
        zl = beam_pickler.dumps([1, 2], use_zlib=True)
    assert raw_pickle(bz) == raw_pickle(zl)


def test_references_list_module_imports_and_globals():
    import json

    def uses_json(x):
        return json.dumps(x)

    refs = references(dumps(uses_json))
    assert ("json", "") in refs
    refs = references(dumps(double))
    assert (__name__, "double") in refs


def test_observed_references_cover_the_pickle_stream(library):
    """analyse() lists references from what the pickler visited; the stream is the truth."""
    import collections
    import json

    from support.objects import HoldingFn, make_closure

    from beam_deps.pickling import analyse

    def uses(x):
        return json.dumps(x), collections.OrderedDict()

    for obj in (HoldingFn(f=uses, c=make_closure(1), lock=threading.Lock()), uses):
        analysis = analyse(obj, library)
        stream = set(references(analysis.payload)) - {("__builtin__", "__main__")}
        assert stream <= set(analysis.references), stream - set(analysis.references)
