"""The CI kit of `beam-deps check`, run as a CI step would run it (a subprocess): output file,
statistics, documents when the check cannot run, colour rules, source lines, SARIF paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """\
import threading

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from helpers import double

lock = threading.Lock()


def locked(x):
    with lock:
        return x


with beam.Pipeline(options=PipelineOptions(["--environment_type=DOCKER"])) as p:
    _ = p | beam.Create([1]) | beam.Map(double) | beam.Map(locked)
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "helpers.py").write_text("def double(x):\n    return 2 * x\n")
    (root / "job.py").write_text(SCRIPT)
    return root


def beam_deps(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "beam_deps", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**environ, **env},
        timeout=300,
    )


def test_text_shows_the_source_line_and_colour_only_when_asked(project):
    plain = beam_deps(project, "check", "job.py")
    assert plain.returncode == 1, plain.stderr
    assert "\033[" not in plain.stdout  # a pipe gets no colour
    lines = plain.stdout.splitlines()
    at = lines.index(next(x for x in lines if "BD402 [error]" in x))
    assert lines[at].startswith("job.py:17: BD402")
    assert (
        lines[at + 2].strip()
        == "17 |     _ = p | beam.Create([1]) | beam.Map(double) | beam.Map(locked)"
    )
    forced = beam_deps(project, "check", "job.py", FORCE_COLOR="1")
    assert "\033[31m[error]\033[0m" in forced.stdout
    assert (
        "\033[" not in beam_deps(project, "check", "job.py", FORCE_COLOR="1", NO_COLOR="1").stdout
    )


def test_output_file_and_statistics(project):
    out = project / "report.json"
    run = beam_deps(project, "check", "job.py", "--format", "json", "--output-file", str(out))
    assert run.returncode == 1 and run.stdout == ""
    doc = json.loads(out.read_text())
    assert "BD402" in {d["code"] for d in doc["diagnostics"]}
    stats = beam_deps(project, "check", "job.py", "--statistics")
    assert stats.returncode == 1
    rows = [line.split("\t") for line in stats.stdout.splitlines()]
    assert ["    1", "BD402", "[error]"] in rows and all(len(r) == 3 for r in rows)
    bad = beam_deps(project, "check", "job.py", "--output-file", str(project / "no" / "x.txt"))
    assert bad.returncode == 2 and "--output-file" in bad.stderr and "Traceback" not in bad.stderr


def test_sarif_paths_are_relative_to_the_project_root(project):
    run = beam_deps(project, "check", "job.py", "--format", "sarif")
    sarif = json.loads(run.stdout)["runs"][0]
    assert sarif["invocations"] == [{"executionSuccessful": True}]
    base = sarif["originalUriBaseIds"]["PROJECTROOT"]["uri"]
    assert base == project.resolve().as_uri() + "/"
    location = sarif["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "job.py", "uriBaseId": "PROJECTROOT"}


@pytest.mark.parametrize("fmt", ["json", "sarif", "github"])
def test_when_the_check_cannot_run_machine_formats_still_say_so(tmp_path, fmt):
    run = beam_deps(tmp_path, "check", "missing.py", "--format", fmt)
    assert run.returncode == 2
    assert "no such script: missing.py" in run.stderr
    if fmt == "json":
        doc = json.loads(run.stdout)
        assert doc["summary"]["ok"] is False and "missing.py" in doc["error"]
    elif fmt == "sarif":
        (invocation,) = json.loads(run.stdout)["runs"][0]["invocations"]
        assert invocation["executionSuccessful"] is False
        note = invocation["toolExecutionNotifications"][0]
        assert "no such script: missing.py" in note["message"]["text"]
    else:
        assert run.stdout.startswith("::error title=beam-deps could not run::no such script")


def test_text_format_prints_nothing_on_stdout_when_the_check_cannot_run(tmp_path):
    run = beam_deps(tmp_path, "check", "missing.py")
    assert run.returncode == 2 and run.stdout == ""


def test_python_dash_m_beam_deps(tmp_path):
    run = beam_deps(tmp_path, "--version")
    assert run.returncode == 0 and run.stdout.startswith("beam-deps ")


PYPROJECT = """\
[project]
name = "demo"

[tool.beam-deps]
ignore = ["lock-recreated"]
fail-on = "warning"
per-file-ignores = { "jobs/*.py" = ["BD402"] }
"""


def test_pyproject_configuration_is_found_upward_and_the_command_line_wins(tmp_path):
    root = tmp_path / "repo"
    jobs = root / "jobs"
    jobs.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (jobs / "helpers.py").write_text("def double(x):\n    return 2 * x\n")
    (jobs / "job.py").write_text(SCRIPT)
    # from a sub-folder, as ruff finds its pyproject: BD104 ignored by name, BD402 per file
    run = beam_deps(jobs, "check", "job.py", "--format", "json")
    codes = {d["code"] for d in json.loads(run.stdout)["diagnostics"]}
    assert "BD104" not in codes and "BD402" not in codes, codes
    # the command line wins: --ignore given replaces the file's list, BD104 is back and
    # fail-on = "warning" makes that warning fail the run
    run = beam_deps(jobs, "check", "job.py", "--ignore", "BD402", "--format", "json")
    doc = json.loads(run.stdout)
    assert [d["code"] for d in doc["diagnostics"] if d["severity"] == "warning"] == ["BD104"]
    assert doc["summary"]["errors"] == 0 and run.returncode == 1
    assert (
        beam_deps(jobs, "check", "job.py", "--ignore", "BD402", "--fail-on", "error").returncode
        == 0
    )


def test_a_bad_pyproject_setting_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.beam-deps]\nselect = ["no-such-rule"]\n')
    (tmp_path / "job.py").write_text("print(1)\n")
    run = beam_deps(tmp_path, "check", "job.py")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "[tool.beam-deps] select NO-SUCH-RULE: no diagnostic code starts with" in run.stderr


def test_every_format_shows_paths_relative_to_the_project_root(tmp_path):
    """The project root is the folder of the pyproject.toml found upward from where
    beam-deps runs: text, JSON, GitHub and SARIF all show ``jobs/job.py`` from a sub-folder,
    and an absolute path for a file outside the root."""
    root = tmp_path / "repo"
    jobs = root / "jobs"
    jobs.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    (jobs / "helpers.py").write_text("def double(x):\n    return 2 * x\n")
    (jobs / "job.py").write_text(SCRIPT)
    text = beam_deps(jobs, "check", "job.py").stdout
    assert "\njobs/job.py:17: BD402 [error]" in "\n" + text, text
    doc = json.loads(beam_deps(jobs, "check", "job.py", "--format", "json").stdout)
    assert doc["root"] == str(root)
    assert {d["file"] for d in doc["diagnostics"]} == {"jobs/job.py"}
    github = beam_deps(jobs, "check", "job.py", "--format", "github").stdout
    assert "::error file=jobs/job.py,line=17,title=BD402" in github, github
    sarif = json.loads(beam_deps(jobs, "check", "job.py", "--format", "sarif").stdout)["runs"][0]
    assert sarif["originalUriBaseIds"]["PROJECTROOT"]["uri"] == root.as_uri() + "/"
    locations = {
        json.dumps(r["locations"][0]["physicalLocation"]["artifactLocation"])
        for r in sarif["results"]
    }
    assert locations == {json.dumps({"uri": "jobs/job.py", "uriBaseId": "PROJECTROOT"})}
    # checked from another project: the file is outside that root, so it stays absolute
    other = tmp_path / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text('[project]\nname = "other"\n')
    script = str(jobs / "job.py")
    outside = json.loads(beam_deps(other, "check", script, "--format", "json").stdout)
    assert {d["file"] for d in outside["diagnostics"]} == {script}
    assert f"\n{script}:17: BD402" in "\n" + beam_deps(other, "check", script).stdout
    far = json.loads(beam_deps(other, "check", script, "--format", "sarif").stdout)["runs"][0]
    location = far["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (jobs / "job.py").as_uri()}
