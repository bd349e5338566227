"""The pickler layer is Beam's own facade: same bytes, same library switching."""

from __future__ import annotations

import threading

import pytest
from apache_beam.internal import pickler as beam_pickler

from beam_deps.beam import is_currently_cloudpickle, profile
from beam_deps.pickling import (
    dumps,
    loads,
    normalize_library,
    raw_pickle,
    references,
    using_library,
)
from beam_deps.pickling.libraries import observing

BEAM = profile()


def double(x):
    return 2 * x


def test_normalize_library_maps_default_to_beams_default():
    # dill up to Beam 2.64, cloudpickle from 2.65 (read from Beam, not from a table)
    assert normalize_library("default") == BEAM.default_library
    assert normalize_library(None) == ("dill" if BEAM.minor < 65 else "cloudpickle")
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
    before = is_currently_cloudpickle()
    assert before == (BEAM.default_library == "cloudpickle")
    with using_library(library):
        assert is_currently_cloudpickle() == (library == "cloudpickle")
    assert is_currently_cloudpickle() == before


def test_beam_lock_reducer_is_used():
    """Beam registers a reducer so a lock pickles as a fresh lock (from 2.65); we must see the
    same, and before 2.65 the same failure Beam has."""
    lock = threading.Lock()
    lock.acquire()
    if not BEAM.lock_reducer:
        with pytest.raises(TypeError, match="cannot pickle '_thread.lock' object"):
            dumps({"lock": lock}, "cloudpickle")
        return
    restored = loads(dumps({"lock": lock}))["lock"]
    assert restored.acquire(blocking=False), "Beam recreates locks unlocked"


def test_the_profile_reads_the_installed_beam():
    import apache_beam
    from apache_beam.internal import cloudpickle_pickler

    assert BEAM.version == apache_beam.__version__
    assert BEAM.vendored_cloudpickle == (BEAM.minor >= 65)
    assert BEAM.lock_reducer == (BEAM.minor >= 65)
    assert BEAM.has_roundtrip == (BEAM.minor >= 70)
    assert ("dill_unsafe" in BEAM.libraries) == (BEAM.minor >= 69)
    assert BEAM.default_library == beam_pickler.DEFAULT_PICKLE_LIB
    assert BEAM.key_classes_by_dill == (BEAM.minor < 68)
    assert cloudpickle_pickler.cloudpickle.__name__.startswith("apache_beam.") == (BEAM.minor >= 65)


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

    lock = threading.Lock() if BEAM.lock_reducer else threading.RLock()  # Lock: Beam 2.65+
    for obj in (HoldingFn(f=uses, c=make_closure(1), lock=lock), uses):
        analysis = analyse(obj, library)
        stream = set(references(analysis.payload)) - {("__builtin__", "__main__")}
        assert stream <= set(analysis.references), stream - set(analysis.references)
