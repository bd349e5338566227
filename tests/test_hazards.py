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
from support.objects import (
    Holder,
    HoldingFn,
    Outer,
    Refuses,
    make_local_class,
    make_local_dofn,
)

import beam_deps
from beam_deps.pickling import analyse, raw_pickle


def codes_at(report):
    return {(d.code, d.path) for d in report.diagnostics}


# Module globals a by-value function may read (and so carry in its payload). The values are
# made up; real-looking keys are assembled at run time so no scanner mistakes this file for
# a leak.
DB_PASSWORD = "hunter2hunter2"
API_KEY = "AbC123xYz789QwE456"
client_secret = "Zm9vYmFyYmF6cXV4"
TOKEN = "tok3n-7f8a9b0c1d2e"
TOKENIZER = "bert-base-uncased"
PASSWORD_MIN_LENGTH = 12
EMPTY_PASSWORD = ""
PLACEHOLDER_API_KEY = "changeme"
TEMPLATE_TOKEN = "${SERVICE_TOKEN}"
DB_PASSWORD_SECRET = "projects/p/secrets/db-password/versions/latest"
STRIPE_BODY = "51Hq" + "Zk7LmN2pQr8sTuV4wXyZ09aB"


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
    nested = [d for d in report.diagnostics if d.code == "BD301" and "Local" in d.message]
    assert nested and nested[0].severity.value == "warning"
    # a DoFn defined inside run() is harmless (it is never compared or encoded): a note
    report = beam_deps.check_object(make_local_dofn(), library)
    nested = [d for d in report.diagnostics if d.code == "BD301"]
    assert [d.severity.value for d in nested] == ["info"] and "fine for a DoFn" in nested[0].message
    # a class nested in a module-level class is importable by qualified name: not flagged
    report = beam_deps.check_object(HoldingFn(kind=Outer.Inner), library)
    assert not any(d.code == "BD301" for d in report.diagnostics)


def test_large_payload(library):
    blob = os.urandom(300_000)

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


def test_places_in_secret_sounding_variables_are_not_secrets(library, monkeypatch, tmp_path):
    """PWD matches the password pattern and every output path under the current folder holds
    it; a credentials variable that names a key file holds a path, not the key."""
    key_file = tmp_path / "key.json"
    key_file.write_text("{}")
    monkeypatch.setenv("PWD", str(tmp_path))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    monkeypatch.setenv("DB_PASSWORD", "not-a-path-but-a-secret")
    for value in (str(tmp_path), str(key_file)):
        assert not beam_deps.check_object(HoldingFn(output=value), library).diagnostics
    report = beam_deps.check_object(HoldingFn(pw="not-a-path-but-a-secret"), library)
    assert [(d.code, d.path) for d in report.diagnostics] == [("BD110", "HoldingFn.pw")]


def bd110(report):
    return sorted((d.path, d.message) for d in report.diagnostics if d.code == "BD110")


@pytest.mark.parametrize("prefix", ["sk_live_", "rk_live_", "sk_test_"])
def test_stripe_keys_are_secrets(prefix, library):
    report = beam_deps.check_object(HoldingFn(stripe_key=prefix + STRIPE_BODY), library)
    [(path, message)] = bd110(report)
    assert path == "HoldingFn.stripe_key"
    assert f"({prefix}...)" in message
    assert STRIPE_BODY[:4] not in message, "never echo the secret itself"
    for not_a_key in (prefix + "x" * 24, "disk_test_" + STRIPE_BODY, prefix + "short1"):
        assert bd110(beam_deps.check_object(HoldingFn(note=not_a_key), library)) == []


def test_bearer_authorization_header_is_a_secret(library):
    token = "ya29" + ".a0AfH6SMBx-3kQ7vZ_9pLmN2oPq"
    fn = HoldingFn(headers={"Authorization": f"Bearer {token}"})
    report = beam_deps.check_object(fn, library)
    [(path, message)] = bd110(report)
    assert path == "HoldingFn.headers['Authorization']"
    assert "(Bearer ...)" in message
    assert "ya29" not in message
    for placeholder in ("Bearer <token>", "Bearer ${API_TOKEN}", "Bearer YOUR_ACCESS_TOKEN_HERE"):
        fn = HoldingFn(headers={"Authorization": placeholder})
        assert bd110(beam_deps.check_object(fn, library)) == [], placeholder


def test_module_globals_named_like_secrets_that_a_function_reads(library):
    def connect(x):
        not_secrets = (TOKENIZER, PASSWORD_MIN_LENGTH, EMPTY_PASSWORD, PLACEHOLDER_API_KEY)
        return (x, DB_PASSWORD, API_KEY, client_secret, TOKEN, not_secrets)

    def describe(x):
        return (x, TEMPLATE_TOKEN, DB_PASSWORD_SECRET)  # where a secret is, not what

    analysis = analyse(connect, library)
    assert analysis.report.ok  # a warning: the payload is made, with the secrets in it
    found = bd110(analysis.report)
    # cloudpickle carries the globals a function reads; dill names this module instead
    secrets = {"DB_PASSWORD": DB_PASSWORD, "API_KEY": API_KEY, "TOKEN": TOKEN}
    secrets["client_secret"] = client_secret
    carried = [n for n, v in secrets.items() if v.encode() in raw_pickle(analysis.payload)]
    assert len(carried) == (4 if library == "cloudpickle" else 0)
    assert [path for path, _ in found] == [f"connect global '{n}'" for n in sorted(carried)]
    for _, message in found:
        assert "(********) is in the payload" in message
        for value in (DB_PASSWORD, API_KEY, client_secret, TOKEN):
            assert value not in message
    assert beam_deps.check_object(describe, library).diagnostics == []


NOT_SECRETS = [
    {"password": ""},
    {"password": "changeme"},
    {"password": "<password>"},
    {"token": "xxx"},
    {"api_key": "${API_KEY}"},
    {"secret": "{{ secrets.api }}"},
    {"password": "********"},
    {"tokenizer": "bert-base-uncased"},
    {"password_min_length": 12},
    {"max_tokens": 4096},
    {"eos_token": "<|endoftext|>"},
    {"next_page_token": "CiAKGjBpNDd2Nmp2Zml2cXRwYjBp"},
    {"secret": "projects/p/secrets/db-password/versions/latest"},
    {"token_uri": "https://oauth2.googleapis.com/token"},
]


def test_keys_and_attributes_named_like_secrets(library):
    fn = HoldingFn(
        cfg={"user": "etl_service_account", "password": "hunter2hunter2"},
        apiKey="AbC123xYz789QwE456",
        headers={"X-Api-Key": "Qw3rTy8uI0pAs5dF"},
        not_secrets=NOT_SECRETS,
    )
    report = beam_deps.check_object(fn, library)
    found = bd110(report)
    assert [path for path, _ in found] == [
        "HoldingFn.apiKey",
        "HoldingFn.cfg['password']",
        "HoldingFn.headers['X-Api-Key']",
    ]
    for secret in ("hunter2", "AbC123", "Qw3rTy"):
        assert all(secret not in message for _, message in found)
    assert "'password'" in found[1][1]


def test_named_secrets_in_an_object_that_fails(library):
    """A failed pickle is walked instead of observed: the same secrets are found."""
    bad = Refuses()

    def connect(x):
        return (x, DB_PASSWORD, bad)

    report = beam_deps.check_object(connect, library)
    assert ("BD110", "connect global 'DB_PASSWORD'") in codes_at(report)
    fn = HoldingFn(cfg={"password": "hunter2hunter2", "token": "xxx"}, bad=Refuses())
    assert [path for path, _ in bd110(beam_deps.check_object(fn, library))] == [
        "HoldingFn.cfg['password']"
    ]


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


def test_a_script_namedtuple_is_described_as_each_library_sends_it(tmp_path, library):
    """cloudpickle carries a script's NamedTuple whole; dill (every version, also under
    dill_unsafe) saves only its name and fields, so BD304 must not say "by value" there."""
    import subprocess
    import sys

    script = tmp_path / "job.py"
    script.write_text(
        "import json, sys, typing, beam_deps\n"
        "class Sale(typing.NamedTuple):\n"
        "    price: float\n"
        "    def doubled(self):\n"
        "        return self.price * 2\n"
        "report = beam_deps.check_object({'sale': Sale(1.0)}, sys.argv[1])\n"
        "print(json.dumps([(d.code, d.message) for d in report.diagnostics]))\n"
    )
    out = subprocess.run(
        [sys.executable, str(script), library], capture_output=True, text=True, check=True
    ).stdout
    messages = [m for code, m in json.loads(out.splitlines()[-1]) if code == "BD304"]
    assert len(messages) == 1
    if library == "cloudpickle":
        assert "travels by value" in messages[0]
    else:
        assert "travels by its name and fields" in messages[0]
        assert "without its methods" in messages[0]


def test_names_pickled_by_reference_include_ufunc_like_objects():
    import numpy as np

    report = beam_deps.check_object(HoldingFn(op=np.add))
    assert "numpy:add" in report.by_reference
