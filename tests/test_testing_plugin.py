"""`assert_picklable` and its pytest fixture, as a user's own test suite would use them."""

from __future__ import annotations

import sqlite3

import pytest
from support.objects import HoldingFn

from beam_deps.testing import assert_picklable

pytest_plugins = ["pytester"]


def test_assert_picklable_passes_clean_objects(library):
    assert_picklable(HoldingFn(n=1), pickle_library=library)


def test_assert_picklable_lists_every_problem(library):
    conn = sqlite3.connect(":memory:")
    try:
        with pytest.raises(AssertionError) as info:
            assert_picklable(HoldingFn(a=conn, b=(i for i in "x")), pickle_library=library)
    finally:
        conn.close()
    message = str(info.value)
    assert "HoldingFn.a" in message and "BD106" in message
    assert "HoldingFn.b" in message and "BD103" in message


def test_warnings_fail_only_when_asked():
    import threading

    fn = HoldingFn(lock=threading.Lock())
    assert_picklable(fn)
    with pytest.raises(AssertionError, match="BD104"):
        assert_picklable(fn, allow_warnings=False)


def test_fixture_is_available_through_the_entry_point(pytester):
    pytester.makepyfile(
        """
        import socket

        def test_ok(assert_picklable):
            assert_picklable({"a": 1})

        def test_bad(assert_picklable):
            s = socket.socket()
            try:
                assert_picklable({"s": s})
            finally:
                s.close()
        """
    )
    result = pytester.runpytest_subprocess()  # no -p: the pytest11 entry point loads it
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*BD106 ?error? socket.socket cannot be pickled*", "*path:*dict?'s'?"]
    )
