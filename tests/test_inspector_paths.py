"""Every unpicklable part is found, with a readable path and the user's line."""

from __future__ import annotations

import inspect
import socket
import sqlite3
import threading
from unittest import mock

import apache_beam as beam
import pytest
from support.objects import AnswersEverything, Holder, HoldingFn, ReduceRaisesOddly, Refuses

import beam_deps
from beam_deps.pickling import analyse


def error_paths(report):
    return sorted(d.path for d in report.diagnostics if d.severity.value == "error")


def test_clean_object_is_ok_and_lists_references(library):
    report = beam_deps.check_object(HoldingFn(n=3, names=["a"]), library)
    assert report.ok
    assert report.diagnostics == []
    assert any(ref.startswith("support.objects:HoldingFn") for ref in report.by_reference)
    assert report.payload_size and report.payload_size > 0


def test_every_failing_leaf_is_reported_not_only_the_first(library):
    conn = sqlite3.connect(":memory:")
    fn = HoldingFn(client=Holder(_conn=conn, ok=1), other=Refuses(), fine=[1, 2])
    report = beam_deps.check_object(fn, library)
    assert not report.ok
    assert error_paths(report) == ["HoldingFn.client._conn", "HoldingFn.other"]
    by_path = {d.path: d for d in report.diagnostics}
    assert by_path["HoldingFn.client._conn"].code == "BD106"
    assert "sqlite3.Connection" in by_path["HoldingFn.client._conn"].message
    assert by_path["HoldingFn.other"].code == "BD101"
    conn.close()


def test_container_paths(library):
    sock = socket.socket()
    try:
        report = beam_deps.check_object({"alpha": [1, 2, {"beta": sock}]}, library)
    finally:
        sock.close()
    assert error_paths(report) == ["dict['alpha'][2]['beta']"]
    assert report.diagnostics[0].code == "BD106"


def test_closure_and_global_paths_point_at_the_users_line(library):
    pending_rows = Refuses()

    def flush(x):
        return (x, pending_rows)

    report = beam_deps.check_object(flush, library)
    assert error_paths(report) == ["flush closure 'pending_rows'"]
    diag = report.diagnostics[0]
    assert diag.file == __file__
    assert diag.line == flush.__code__.co_firstlineno


def test_lambda_generator_in_closure(library):
    rows = (i for i in range(3))
    fn = lambda x: next(rows)  # noqa: E731
    report = beam_deps.check_object(fn, library)
    assert [(d.code, d.path) for d in report.errors] == [("BD103", "<lambda> closure 'rows'")]


def test_default_argument_and_bound_method_self(library):
    def with_default(x, conn=Refuses()):  # noqa: B008
        return x

    report = beam_deps.check_object(with_default, library)
    assert error_paths(report) == ["with_default default 'conn'"]

    report = beam_deps.check_object(HoldingFn(bad=Refuses()).process, library)
    assert error_paths(report) == ["HoldingFn.process.__self__.bad"]


def test_deep_chain_reports_depth_and_chain_instead_of_recursing(library):
    head = None
    for _ in range(100_000):
        head = Holder(next=head)
    report = beam_deps.check_object({"head": head}, library)
    assert [d.code for d in report.errors] == ["BD102"]
    message = report.errors[0].message
    assert "100,000 levels deep" in message
    assert "`.next` repeats 99,999 times" in message
    assert report.errors[0].path == "dict['head']"


def test_cycles_do_not_hang(library):
    a = Holder(name="a")
    b = Holder(name="b", peer=a, bad=Refuses())
    a.peer = b
    report = beam_deps.check_object(a, library)
    assert error_paths(report) == ["Holder.peer.bad"]


@pytest.mark.parametrize(
    "hostile",
    [mock.MagicMock(), mock.Mock(), AnswersEverything(), ReduceRaisesOddly()],
    ids=["MagicMock", "Mock", "getattr-answers-all", "reduce_ex-raises"],
)
def test_hostile_objects_never_crash(hostile, library):
    report = beam_deps.check_object(Holder(x=hostile), library)
    for d in report.diagnostics:
        assert d.code.startswith("BD")
    if isinstance(hostile, ReduceRaisesOddly):
        assert error_paths(report) == ["Holder.x"]
        assert "boom from __reduce_ex__" in report.errors[0].message


def test_huge_container_is_bounded_with_counts(library):
    big = list(range(1_000_000)) + [Refuses()] + list(range(10))
    report = beam_deps.check_object({"big": big}, library)
    assert error_paths(report) == ["dict['big'][1000000]"]


def test_many_bad_items_are_capped_and_counted(library):
    big = {f"k{i}": Refuses() for i in range(5_000)}
    report = beam_deps.check_object(big, library)
    assert len(report.errors) == 50
    notes = [d.message for d in report.diagnostics if d.code == "BD001"]
    assert notes and "5,000 parts were bisected" in notes[0]


def test_analyse_returns_beams_exact_payload(library):
    from beam_deps.pickling import dumps, loads

    obj = HoldingFn(n=1)
    analysis = analyse(obj, library)
    assert analysis.payload == dumps(obj, library)
    assert type(loads(analysis.payload, library)).__name__ == "HoldingFn"
    assert analysis.report.ok


def test_unknown_library_is_the_callers_mistake():
    with pytest.raises(ValueError, match="unknown pickle library 'pickle5'"):
        beam_deps.check_object(1, "pickle5")


def test_lock_inside_a_failing_object_is_also_reported(library):
    fn = HoldingFn(lock=threading.Lock(), bad=Refuses())
    report = beam_deps.check_object(fn, library)
    codes = {(d.code, d.path) for d in report.diagnostics}
    assert ("BD101", "HoldingFn.bad") in codes
    assert ("BD104", "HoldingFn.lock") in codes


class ClientFn(beam.DoFn):
    def __init__(self):
        super().__init__()
        self.retries = 3
        self.conn = sqlite3.connect(":memory:")  # the line a user must change

    def process(self, element):
        yield element


def test_line_is_the_assignment_that_captured_the_part(library):
    fn = ClientFn()
    try:
        report = beam_deps.check_object(fn, library)
    finally:
        fn.conn.close()
    [diag] = report.errors
    assert diag.path == "ClientFn.conn"
    lines, start = inspect.getsourcelines(ClientFn)
    expected = start + next(i for i, text in enumerate(lines) if "self.conn =" in text)
    assert (diag.file, diag.line) == (__file__, expected)


class Exits:
    def __reduce_ex__(self, protocol):
        raise SystemExit(3)


def test_systemexit_from_a_reducer_is_a_finding_not_an_exit(library):
    report = beam_deps.check_object({"a": [Exits()]}, library)
    assert error_paths(report) == ["dict['a'][0]"]


class PayloadNode:
    def __init__(self, nxt):
        self.next = nxt
        self.payload = [0, 1, 2]


def test_deep_chain_with_other_fields_names_the_repeating_link(library):
    head = None
    for _ in range(5_000):
        head = PayloadNode(head)
    report = beam_deps.check_object(head, library)
    [diag] = report.errors
    assert diag.code == "BD102"
    assert "`.next` repeats 4,999 times from PayloadNode" in diag.message
    assert len(diag.path) < 300


class GuardedResource:
    def __reduce__(self):
        raise TypeError("RecursionGuard objects cannot be pickled")


def test_the_word_recursion_in_a_message_is_not_a_recursion_error(library):
    report = beam_deps.check_object({"a": GuardedResource()}, library)
    assert [(d.code, d.path) for d in report.errors] == [("BD101", "dict['a']")]


def test_a_bad_attribute_among_thousands_is_found_by_bisection(library):
    obj = Holder(**{f"a{i}": i for i in range(3_000)})
    obj.zgen = (i for i in range(3))
    report = beam_deps.check_object(obj, library)
    assert [(d.code, d.path) for d in report.errors] == [("BD103", "Holder.zgen")]


def test_partial_paths_are_readable(library):
    import functools

    fn = functools.partial(max, Refuses(), key=None)
    report = beam_deps.check_object({"f": fn}, library)
    assert error_paths(report) == ["dict['f'].args[0]"]
