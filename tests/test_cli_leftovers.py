"""Issue 13's leftovers, issue 12 item 10 and issue 14 item 15, tried as a user would: unused
ignore comments (BD006), `run`'s check options, `out` from pyproject, one path style in every
format, a missing `--setup_file`, secrets in object paths and URLs, and `package list` /
`requirements` on a script whose own arguments are required."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from beam_deps.check import check_script

IGNORES = """\
import threading
import apache_beam as beam
lock = threading.Lock()
DOC = \"\"\" # beam-deps: ignore[BD110] inside a string is no comment \"\"\"
with beam.Pipeline() as p:
    nums = p | beam.Create([1])
    nums | "A" >> beam.Map(lambda x: (lock.locked(), x))  # beam-deps: ignore[BD104]
    nums | "B" >> beam.Map(lambda x: x)  # beam-deps: ignore[BD104, BD2]
    nums | "C" >> beam.Map(lambda x: x)  # beam-deps: ignore
    nums | "D" >> beam.Map(lambda x: (lock.locked(), x))  # beam-deps: ignore[BD104,BD999]
"""


def beam_deps(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "beam_deps", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**environ, **env},
        timeout=600,
    )


def unused(report) -> list[tuple[int, list[str] | None]]:
    return [(d.line, d.extra.get("unused")) for d in report.diagnostics if d.code == "BD006"]


# ---------------------------------------------------------------------------- BD006
def test_ignore_comments_that_silence_nothing_are_reported(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(IGNORES)
    report = check_script(script)
    assert unused(report) == [(8, ["BD104", "BD2"]), (9, None), (10, ["BD999"])]
    assert [d.code for d in report.diagnostics if d.code != "BD006"] == []  # A and D silenced
    (bare,) = [d for d in report.diagnostics if d.line == 9]
    assert bare.file == str(script) and "silences nothing" in bare.message
    (typo,) = [d for d in report.diagnostics if d.line == 10]
    assert "BD999: no diagnostic code starts so" in typo.message
    assert report.ok  # a warning: it never fails a run on its own


def test_codes_filtered_out_of_the_run_are_never_called_unused(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(IGNORES)
    # --ignore BD104: the comments' BD104 are not looked for; BD2 still is
    assert unused(check_script(script, ignore=["BD104"])) == [
        (8, ["BD2"]),
        (9, None),
        (10, ["BD999"]),
    ]
    # --select BD1: BD006 itself is not selected, so nothing is said
    assert unused(check_script(script, select=["BD1"])) == []
    # --select BD0,BD1: BD2 is out of the run, BD104 is in
    assert unused(check_script(script, select=["BD0", "BD1"])) == [
        (8, ["BD104"]),
        (9, None),
        (10, ["BD999"]),
    ]
    # BD006 can itself be ignored
    assert unused(check_script(script, ignore=["BD006"])) == []


def test_an_ignore_comment_in_a_local_module_is_read_too(tmp_path):
    (tmp_path / "helpers.py").write_text(
        "def double(x):  # beam-deps: ignore[BD104]\n    return 2 * x\n"
    )
    script = tmp_path / "job.py"
    script.write_text(
        "import apache_beam as beam\nfrom helpers import double\n"
        "with beam.Pipeline() as p:\n    p | beam.Create([1]) | beam.Map(double)\n"
    )
    found = [
        (Path(d.file).name, d.line) for d in check_script(script).diagnostics if d.code == "BD006"
    ]
    assert found == [("helpers.py", 1)]


# ---------------------------------------------------------------------------- run
RUN_SCRIPT = """\
import sys
import threading

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

with open("runs.txt", "a") as f:  # a side effect at import: it happens at every start
    f.write("started\\n")

lock = threading.Lock()


def locked(x):
    with lock:
        return x


with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:
    _ = p | beam.Create([1]) | beam.Map(locked)
"""


@pytest.fixture()
def run_project(tmp_path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "job.py").write_text(RUN_SCRIPT)
    return project


def test_run_says_it_starts_the_script_more_than_once(run_project, tmp_path):
    run = beam_deps(run_project, "run", "job.py", "--out", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr[-3000:]
    note = (
        "beam-deps: run starts job.py up to three times (to stage (unless a previous staging "
        "is reused), to check, then for real): what it does before Pipeline.run(), at import "
        "too, happens each time"
    )
    assert note in run.stderr.splitlines()
    assert (run_project / "runs.txt").read_text().count("started") == 3  # what the note says
    assert "BD104 [warning]" in run.stderr  # a warning does not stop the run by default


def test_run_passes_select_ignore_fail_on_and_exit_zero_to_its_check(run_project, tmp_path):
    out = str(tmp_path / "out")
    strict = beam_deps(run_project, "run", "job.py", "--out", out, "--fail-on", "warning")
    assert strict.returncode == 1, strict.stderr[-3000:]
    assert "BD104 [warning]" in strict.stderr
    assert (
        "beam-deps: not running: check found warnings (fail-on: warning) (above)" in strict.stderr
    )
    assert "beam-deps: running" not in strict.stderr
    ignored = beam_deps(
        run_project, "run", "job.py", "--out", out, "--fail-on", "warning", "--ignore", "BD104"
    )
    assert ignored.returncode == 0, ignored.stderr[-3000:]
    assert "BD104" not in ignored.stderr and "beam-deps: running" in ignored.stderr
    selected = beam_deps(
        run_project, "run", "job.py", "--out", out, "--fail-on", "warning", "--select", "BD3"
    )
    assert selected.returncode == 0 and "BD104" not in selected.stderr, selected.stderr[-3000:]
    anyway = beam_deps(
        run_project, "run", "job.py", "--out", out, "--fail-on", "warning", "--exit-zero"
    )
    assert anyway.returncode == 0, anyway.stderr[-3000:]
    assert "BD104 [warning]" in anyway.stderr and "beam-deps: running" in anyway.stderr
    bad = beam_deps(run_project, "run", "job.py", "--out", out, "--select", "BD999")
    assert bad.returncode == 2 and bad.stderr.strip().splitlines()[-1].startswith(
        "beam-deps: error: --select BD999: no diagnostic code starts with 'BD999'"
    )


# ---------------------------------------------------------------------------- out
def test_out_from_pyproject_is_used_and_the_command_line_wins(tmp_path):
    root = tmp_path / "repo"
    jobs = root / "jobs"
    jobs.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.beam-deps]\nout = "build/staging"\n'
    )
    (jobs / "helpers.py").write_text("def double(x):\n    return 2 * x\n")
    (jobs / "job.py").write_text(
        "import sys\nimport apache_beam as beam\nfrom helpers import double\n"
        "from apache_beam.options.pipeline_options import PipelineOptions\n"
        "with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:\n"
        "    p | beam.Create([1]) | beam.Map(double)\n"
    )
    staged = beam_deps(jobs, "stage", "job.py")
    assert staged.returncode == 0, staged.stderr[-3000:]
    assert (root / "build" / "staging" / "beam_deps_manifest.json").is_file()
    assert not (jobs / "beam-deps-staging").exists()
    assert f"staged into {root / 'build' / 'staging'}" in staged.stdout
    given = beam_deps(jobs, "stage", "job.py", "--out", "mine")
    assert given.returncode == 0 and (jobs / "mine" / "beam_deps_manifest.json").is_file()
    ran = beam_deps(jobs, "run", "job.py", "--skip-check")
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert str(root / "build" / "staging") in ran.stderr  # the staging options it ran with


# ---------------------------------------------------------------------------- secrets
SECRETS = """\
import apache_beam as beam

DB_URL = "postgresql://admin:s3cr3tpassw0rd@db.example.com/prod"
TEMPLATE = "postgresql://admin:%(password)s@db.example.com/prod"  # a placeholder: no secret


def gen():
    yield 1


class Lookup(beam.DoFn):
    def __init__(self):
        self.clients = {"ghp_abcdefghijklmnopqrstuvwxyz0123456789": gen()}

    def process(self, x):
        yield x, DB_URL, TEMPLATE


with beam.Pipeline() as p:
    p | beam.Create(["a"]) | beam.ParDo(Lookup())
"""


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_no_format_prints_a_secret_key_or_a_urls_password(tmp_path, fmt):
    (tmp_path / "job.py").write_text(SECRETS)
    run = beam_deps(tmp_path, "check", "job.py", "--format", fmt)
    assert run.returncode == 1, run.stderr[-3000:]
    out = run.stdout
    assert "s3cr3tpassw0rd" not in out and "ijklmnopqrstuvwxyz" not in out, out
    assert "BD103" in out  # the unpicklable generator is still reported, at its masked key
    assert "Lookup.clients['********...]" in out
    # the URL's password is a secret (BD110) wherever the payload holds it
    assert "a URL with a password (postgresql://admin:********@...) is in the payload" in out
    if fmt == "json":
        urls = [
            d["path"]
            for d in json.loads(out)["diagnostics"]
            if d["code"] == "BD110" and "URL" in d["message"]
        ]
        assert urls == ["Lookup.process global 'DB_URL'"]  # TEMPLATE's placeholder is no secret
