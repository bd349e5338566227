"""Parts that pickle but will not behave on a worker, each with a real object."""

from __future__ import annotations

import enum
import io
import json
import os
import queue
import socket
import sqlite3
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from support.objects import Holder, HoldingFn, Outer, make_local_class

import beam_deps


def codes_at(report):
    return {(d.code, d.path) for d in report.diagnostics}


def test_lock_rlock_condition_event(library):
    fn = HoldingFn(
        lock=threading.Lock(),
        rlock=threading.RLock(),
        cond=threading.Condition(),
        event=threading.Event(),
    )
    report = beam_deps.check_object(fn, library)
    assert report.ok
    found = codes_at(report)
    for attr in ("lock", "rlock", "cond", "event"):
        assert ("BD104", f"HoldingFn.{attr}") in found, attr
    # the condition's own inner lock is not reported a second time
    assert not any(path.startswith("HoldingFn.cond.") for _, path in found)


def test_read_mode_file_is_a_snapshot_and_write_mode_fails(library, tmp_path):
    data = tmp_path / "lookup.csv"
    data.write_text("a,1\n")
    with open(data) as reader:
        report = beam_deps.check_object(HoldingFn(fh=reader), library)
    if library == "cloudpickle":
        assert report.ok
        assert ("BD105", "HoldingFn.fh") in codes_at(report)
        [diag] = [d for d in report.diagnostics if d.code == "BD105"]
        assert diag.severity.value == "warning"
    with open(tmp_path / "out.txt", "w") as writer:
        report = beam_deps.check_object(HoldingFn(fh=writer), library)
    if library == "cloudpickle":
        assert [(d.code, d.path) for d in report.errors] == [("BD105", "HoldingFn.fh")]
    else:  # dill pickles the handle and reopens the path on the worker
        [diag] = report.diagnostics
        assert (diag.code, diag.path) == ("BD105", "HoldingFn.fh")
        assert "reopened by path" in diag.message


def test_socket_sqlite_cursor_are_connections(library):
    conn = sqlite3.connect(":memory:")
    sock = socket.socket()
    try:
        fn = HoldingFn(sock=sock, conn=conn, cur=conn.cursor())
        report = beam_deps.check_object(fn, library)
    finally:
        sock.close()
        conn.close()
    assert {(d.code, d.path) for d in report.errors} == {
        ("BD106", "HoldingFn.sock"),
        ("BD106", "HoldingFn.conn"),
        ("BD106", "HoldingFn.cur"),
    }


def test_thread_pool_and_client_holding_one(library):
    pool = ThreadPoolExecutor(1)
    try:
        report = beam_deps.check_object(HoldingFn(client=Holder(pool=pool)), library)
    finally:
        pool.shutdown()
    assert ("BD107", "HoldingFn.client.pool") in {(d.code, d.path) for d in report.errors}


def test_queue_is_a_copy(library):
    q = queue.Queue()
    q.put(1)
    report = beam_deps.check_object(HoldingFn(q=q), library)
    assert report.ok
    assert ("BD108", "HoldingFn.q") in codes_at(report)
    assert not any(p.startswith("HoldingFn.q.") for _, p in codes_at(report))


def test_generator_fails_and_iterator_is_a_snapshot(library):
    report = beam_deps.check_object(HoldingFn(rows=(i for i in range(3))), library)
    assert [(d.code, d.path) for d in report.errors] == [("BD103", "HoldingFn.rows")]
    report = beam_deps.check_object(HoldingFn(rows=iter([1, 2, 3])), library)
    assert report.ok
    assert ("BD103", "HoldingFn.rows") in codes_at(report)


def test_nested_classes(library):
    local_cls = make_local_class()
    report = beam_deps.check_object(HoldingFn(kind=local_cls, value=local_cls()), library)
    assert any(d.code == "BD301" and "Local" in d.message for d in report.diagnostics)
    # a class nested in a module-level class is importable by qualified name: not flagged
    report = beam_deps.check_object(HoldingFn(kind=Outer.Inner), library)
    assert not any(d.code == "BD301" for d in report.diagnostics)


def test_large_payload(library):
    blob = os.urandom(300_000)
    from beam_deps.pickling import analyse

    analysis = analyse(HoldingFn(blob=blob), library, large_payload=100_000)
    assert [d.code for d in analysis.report.diagnostics] == ["BD109"]
    assert "pickles to" in analysis.report.diagnostics[0].message
    assert beam_deps.check_object(HoldingFn(blob=b"small"), library).diagnostics == []


def test_secrets_from_environment_and_by_shape(library, monkeypatch):
    monkeypatch.setenv("SERVICE_API_TOKEN", "s3cr3t-value-123456")
    report = beam_deps.check_object(HoldingFn(token="s3cr3t-value-123456"), library)
    [diag] = [d for d in report.diagnostics if d.code == "BD110"]
    assert diag.path == "HoldingFn.token"
    assert "SERVICE_API_TOKEN" in diag.message
    assert "s3cr3t" not in diag.message, "never echo the secret itself"

    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow..."
    report = beam_deps.check_object(HoldingFn(cfg={"pem": key}), library)
    assert ("BD110", "HoldingFn.cfg['pem']") in codes_at(report)
    # ordinary strings are not secrets
    assert beam_deps.check_object(HoldingFn(name="a perfectly normal long string"), library).ok
    assert not beam_deps.check_object(HoldingFn(name="hello world 12345"), library).diagnostics


class Color(enum.Enum):
    RED = 1


def test_importable_enum_is_by_reference_and_not_flagged(library):
    report = beam_deps.check_object(HoldingFn(color=Color.RED), library)
    assert report.diagnostics == []
    assert any("Color" in ref for ref in report.by_reference)


def test_by_value_functions_are_listed(library):
    factor = 3

    def scale(x):
        return x * factor

    report = beam_deps.check_object(scale, library)
    assert report.ok
    assert any(name.endswith("scale") for name in report.by_value)


@pytest.mark.parametrize("mode", ["rb", "r"])
def test_binary_and_text_files(mode, tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"xyz")
    with open(path, mode) as fh:
        report = beam_deps.check_object(HoldingFn(fh=fh))
    assert any(d.code == "BD105" for d in report.diagnostics)


def test_temporary_stringio_is_fine():
    report = beam_deps.check_object(HoldingFn(buf=io.StringIO("abc")))
    assert report.ok


def test_tempfile_write_handle_fails():
    with tempfile.TemporaryFile("w") as fh:
        report = beam_deps.check_object(HoldingFn(fh=fh))
    assert not report.ok


def test_wide_objects_still_locate_their_hazards(library):
    wide = {i: i for i in range(2_500)}
    wide["lock"] = threading.Lock()
    report = beam_deps.check_object(HoldingFn(table=wide), library)
    assert ("BD104", "HoldingFn.table['lock']") in codes_at(report)


def test_similarly_named_hazards_are_all_reported(library):
    fn = HoldingFn(lock=threading.Lock(), lock_for_cache=threading.Lock(), q=queue.Queue())
    fn.q2 = queue.Queue()
    found = codes_at(beam_deps.check_object(fn, library))
    for path in ("HoldingFn.lock", "HoldingFn.lock_for_cache"):
        assert ("BD104", path) in found
    for path in ("HoldingFn.q", "HoldingFn.q2"):
        assert ("BD108", path) in found


def test_in_memory_buffers_and_standard_streams_are_not_files(capsys):
    import logging
    import sys

    with capsys.disabled():  # the real sys.stderr, not pytest's capture file
        fn = HoldingFn(buf=io.BytesIO(b"x"), handler=logging.StreamHandler(sys.stderr))
        report = beam_deps.check_object(fn)
    assert not [(d.code, d.path, d.message) for d in report.diagnostics if d.code == "BD105"]


def test_simple_queue_is_a_queue(library):
    report = beam_deps.check_object(HoldingFn(q=queue.SimpleQueue()), library)
    assert [(d.code, d.path) for d in report.errors] == [("BD108", "HoldingFn.q")]


def test_captured_pcollection_is_flagged(library):
    import apache_beam as beam

    p = beam.Pipeline()
    lookup = p | beam.Create([1, 2])
    report = beam_deps.check_object(lambda x: x in lookup, library)
    assert [(d.code, d.path) for d in report.diagnostics] == [
        ("BD111", "<lambda> closure 'lookup'")
    ]


def test_enum_defined_in_a_script_is_noted(tmp_path):
    """A script's Enum travels by value: its identity differs from any importable copy."""
    import subprocess
    import sys

    script = tmp_path / "job.py"
    script.write_text(
        "import enum, json, beam_deps\n"
        "class Shade(enum.Enum):\n"
        "    DARK = 1\n"
        "report = beam_deps.check_object({'shade': Shade.DARK})\n"
        "print(json.dumps([(d.code, d.path) for d in report.diagnostics]))\n"
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True
    ).stdout
    assert ["BD304", "dict['shade'].__class__"] in json.loads(out.splitlines()[-1])


def test_names_pickled_by_reference_include_ufunc_like_objects():
    import numpy as np

    report = beam_deps.check_object(HoldingFn(op=np.add))
    assert "numpy:add" in report.by_reference
