"""A part that cannot be pickled is reported once, not with everything inside it.

``fakemongo`` (tests/support/fakelib) stands in for pymongo: it is installed into a real
``site-packages`` folder with its ``.dist-info`` and imported from there, so to beam-deps it
is a third-party library exactly as an installed pymongo would be.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import apache_beam as beam
import pytest
from support.dists import install_fake_library
from support.objects import Holder, HoldingFn, Refuses

import beam_deps
from beam_deps.pickling.locations import is_third_party_file, is_user_file


@pytest.fixture(scope="module")
def fakemongo(tmp_path_factory):
    site = tmp_path_factory.mktemp("env") / "lib" / "python3" / "site-packages"
    site.mkdir(parents=True)
    install_fake_library(site, "fakemongo")
    sys.path.insert(0, str(site))
    try:
        yield importlib.import_module("fakemongo")
    finally:
        sys.path.remove(str(site))
        for name in [m for m in sys.modules if m == "fakemongo" or m.startswith("fakemongo.")]:
            del sys.modules[name]


@pytest.fixture
def mongo(fakemongo):
    client = fakemongo.MongoClient("db.internal", 27017)
    yield client
    client.close()


class Client(beam.DoFn):
    def __init__(self, mongo):
        super().__init__()
        self.database = "orders"
        self.mongo = mongo  # the line a user must change

    def process(self, element):
        yield self.mongo[self.database]


def found(report):
    return [(d.code, d.path) for d in report.diagnostics]


def assignment_line(cls, text):
    lines, start = inspect.getsourcelines(cls)
    return start + next(i for i, line in enumerate(lines) if text in line)


def test_the_fake_library_is_a_library_and_the_tests_are_user_code(fakemongo):
    assert "site-packages" in fakemongo.__file__
    assert not is_user_file(fakemongo.__file__)
    assert is_third_party_file(fakemongo.__file__)
    assert is_user_file(__file__)
    assert not is_third_party_file(threading.__file__)  # the standard library


def test_an_executor_is_reported_without_its_internals(library):
    pool = ThreadPoolExecutor(1)
    try:
        report = beam_deps.check_object(HoldingFn(pool=pool), library)
    finally:
        pool.shutdown()
    # not also its _shutdown_lock, _idle_semaphore and _work_queue
    assert found(report) == [("BD107", "HoldingFn.pool")]


def test_a_library_client_is_one_error_at_the_users_attribute(mongo, library):
    report = beam_deps.check_object(Client(mongo), library)
    [diag] = report.diagnostics  # no BD104 per internal lock, no second error
    assert (diag.code, diag.path, diag.severity.value) == ("BD106", "Client.mongo", "error")
    assert diag.message.startswith("fakemongo.mongo_client.MongoClient cannot be pickled")
    assert "it is a client (it holds a lock and a thread or executor)" in diag.message
    # the inner parts that fail are named, as detail
    assert "._kill_cursors_executor._target closure 'self_ref'" in diag.message
    assert "._srv_executor" in diag.message
    assert (diag.file, diag.line) == (__file__, assignment_line(Client, "self.mongo ="))


def test_each_client_once_wherever_the_user_keeps_it(fakemongo, library):
    primary, replica = fakemongo.MongoClient(), fakemongo.MongoClient()
    try:
        fn = HoldingFn(clients={"primary": primary}, pair=[replica], lock=threading.Lock())
        report = beam_deps.check_object(fn, library)
        assert sorted(found(report)) == [
            ("BD104", "HoldingFn.lock"),  # the user's own lock is still reported
            ("BD106", "HoldingFn.clients['primary']"),
            ("BD106", "HoldingFn.pair[0]"),
        ]
        report = beam_deps.check_object(lambda key: primary[key], library)
        assert found(report) == [("BD106", "<lambda> closure 'primary'")]
    finally:
        primary.close()
        replica.close()


def test_a_library_client_checked_directly(mongo, library):
    report = beam_deps.check_object(mongo, library)
    assert found(report) == [("BD106", "MongoClient")]
    assert "closure 'self_ref'" in report.diagnostics[0].message


def test_a_library_object_without_connections_is_bd101(fakemongo, library):
    fn = HoldingFn(codec=fakemongo.CodecOptions(tz_aware=True), n=1)
    report = beam_deps.check_object(fn, library)
    [diag] = report.diagnostics
    assert (diag.code, diag.path) == ("BD101", "HoldingFn.codec")
    assert diag.message.startswith("fakemongo.codec_options.CodecOptions cannot be pickled")
    assert "inside it, .type_registry._decoder_cache is a thread._local" in diag.message


def test_user_objects_keep_their_precise_paths(mongo, library):
    """The grouping is for a library's insides: the user's own objects are not collapsed."""
    fn = HoldingFn(client=Holder(pool=mongo._srv_executor, bad=Refuses()))
    report = beam_deps.check_object(fn, library)
    assert sorted(found(report)) == [
        ("BD101", "HoldingFn.client.bad"),
        ("BD107", "HoldingFn.client.pool"),
    ]


def test_hazards_beside_a_failing_part_are_still_reported(mongo, library):
    fn = HoldingFn(mongo=mongo, cache_lock=threading.Lock())
    assert sorted(found(beam_deps.check_object(fn, library))) == [
        ("BD104", "HoldingFn.cache_lock"),
        ("BD106", "HoldingFn.mongo"),
    ]
