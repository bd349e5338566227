"""The staging commands as a user meets them (issue 13's rough edges): what `package list
--verbose` says after a cached `stage`, a reader that closes the pipe early, one report from
`run`, a hint to ignore the staging folder in git, and help texts. Real CLI processes."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from staging_support import cache_dir, cli, copy_fixture  # noqa: F401

from beam_deps.launch import STAGER_LOGGER, PureWheelWarningFilter


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_package_list_after_a_cached_stage_lists_no_temporary_folders(tmp_path):
    """`stage` with the default --out builds next to the script; its temporary folders must not
    appear in the exclusion list it caches, which `package list --verbose` then reuses."""
    project = copy_fixture("loose", tmp_path)
    assert cli("stage", "pipeline.py", cwd=project).returncode == 0
    listing = cli("package", "list", "pipeline.py", "--verbose", cwd=project)
    assert listing.returncode == 0, listing.stderr
    excluded = [line for line in listing.stdout.splitlines() if line.startswith("excluded: ")]
    assert excluded, listing.stdout
    for line in excluded:
        path = line.removeprefix("excluded: ").split(" (", 1)[0]
        assert (project / path).exists() or (project / path).is_symlink(), line
        assert ".tmp-" not in line, line


def test_stage_json_into_a_closed_pipe_is_no_traceback(tmp_path):
    project = copy_fixture("loose", tmp_path)
    assert cli("stage", "pipeline.py", "--out", str(tmp_path / "out"), cwd=project).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "beam_deps.cli", "stage", "pipeline.py", "--out",
         str(tmp_path / "out"), "--format", "json"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    proc.stdout.close()  # `| head -0`: the reader is gone before anything is written
    stderr = proc.stderr.read().decode()
    assert proc.wait() == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


def test_run_shows_one_report_with_one_summary_and_real_locations(tmp_path):
    project = tmp_path / "job"
    write(project / ".gitignore", "helper.py\n")
    write(project / "helper.py", "def inc(x):\n    return x + 1\n")
    write(
        project / "job.py",
        """
        import sys
        import threading

        import apache_beam as beam

        import helper


        class Locked(beam.DoFn):
            def __init__(self):
                self.lock = threading.Lock()

            def process(self, x):
                yield helper.inc(x)


        with beam.Pipeline(argv=sys.argv[1:]) as p:
            _ = p | beam.Create([1]) | beam.ParDo(Locked())
        """,
    )
    proc = cli("run", "job.py", "--out", str(tmp_path / "out"), cwd=project)
    assert proc.returncode == 1, proc.stderr[-3000:]
    err = proc.stderr
    assert "<object>" not in err
    assert [line for line in err.splitlines() if line.startswith("Found ")] == [
        "Found 1 error, 2 warnings."
    ], err
    assert "job.py:18: BD422 [warning] local module 'helper'" in err  # staging's finding
    assert "job.py:12: BD104 [warning]" in err  # check's findings
    assert "job.py:19: BD402 [error]" in err
    assert err.strip().splitlines()[-1] == "beam-deps: not running: check found errors (above)"
    assert "must be binary-compatible" not in err


def test_run_drops_beams_binary_compatible_warning_for_its_own_pure_wheel(tmp_path):
    project = copy_fixture("loose", tmp_path)
    proc = cli("run", "pipeline.py", "--out", str(tmp_path / "out"), "--skip-check", cwd=project)
    assert proc.returncode == 0, proc.stderr[-3000:]
    running = [line for line in proc.stderr.splitlines() if line.startswith("beam-deps: running")]
    assert len(running) == 1, proc.stderr
    assert " -m beam_deps.launch --staging " in running[0]
    assert "--extra_package=" in running[0] and "-py3-none-any.whl" in running[0]
    # Beam's stager saw the wheel (it logs INFO lines about staging it) but did not warn
    assert "must be binary-compatible" not in proc.stderr


def _stager_record(message: str) -> logging.LogRecord:
    return logging.LogRecord(STAGER_LOGGER, logging.WARNING, __file__, 1, message, None, None)


@pytest.mark.parametrize(
    ("where", "name", "kept"),
    [
        ("staging", "job_local-0.0.0-py3-none-any.whl", False),  # ours and pure: dropped
        ("staging", "job_local-0.0.0-py2.py3-none-any.whl", False),
        ("staging", "fast-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", True),  # platform wheel
        ("elsewhere", "job_local-0.0.0-py3-none-any.whl", True),  # the user's own wheel
    ],
)
def test_the_launcher_filter_drops_only_pure_wheels_it_staged(tmp_path, where, name, kept):
    staging = tmp_path / "staging"
    wheel = tmp_path / where / "wheels" / name
    message = (
        f'The .whl package "{wheel}" provided in --extra_package must be binary-compatible '
        "with the worker runtime environment."
    )
    found = PureWheelWarningFilter(staging)
    assert found.filter(_stager_record(message)) is kept
    assert found.filter(_stager_record("Staging the SDK tarball")) is True


def test_the_launcher_runs_a_module_with_its_own_dash_m_arguments(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "job.py").write_text("import sys\nprint(__name__, sys.argv[1:])\n")
    proc = subprocess.run(
        [sys.executable, "-m", "beam_deps.launch", "--staging", str(tmp_path), "-m", "pkg.job"]
        + ["--input", "x", "-m", "y"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "__main__ ['--input', 'x', '-m', 'y']"
    proc = subprocess.run(
        [sys.executable, "-m", "beam_deps.launch", "--staging", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "beam-deps: give either SCRIPT or -m MODULE, then the pipeline's arguments"
    ]


def test_a_new_staging_folder_in_a_git_work_tree_suggests_gitignore(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    project = copy_fixture("loose", tmp_path)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    hint = (
        "beam-deps: beam-deps-staging/ is build output inside a git work tree: add "
        "'beam-deps-staging/' to .gitignore so it is not committed"
    )
    first = cli("stage", "pipeline.py", cwd=project)
    assert first.returncode == 0, first.stderr
    assert hint in first.stderr.splitlines()
    again = cli("stage", "pipeline.py", cwd=project)
    assert hint not in again.stderr  # said once, when the folder was created
    shutil.rmtree(project / "beam-deps-staging")
    with (project / ".gitignore").open("a") as f:
        f.write("beam-deps-staging/\n")
    ignored = cli("stage", "pipeline.py", cwd=project)
    assert ignored.returncode == 0 and hint not in ignored.stderr
    outside = cli("stage", "pipeline.py", "--out", str(tmp_path / "elsewhere"), cwd=project)
    assert outside.returncode == 0 and "gitignore" not in outside.stderr


@pytest.mark.parametrize(
    "command",
    [("stage",), ("run",), ("requirements",), ("package", "list")],
)
def test_help_describes_the_command_and_names_seconds(command, tmp_path):
    proc = cli(*command, "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    usage, _, rest = proc.stdout.partition("\n\n")
    description = rest.split("\n\n", 1)[0]
    assert not description.startswith(("positional arguments", "options")), proc.stdout
    assert len(description.split()) >= 10, description
    assert "--timeout SECONDS" in proc.stdout and "TIMEOUT" not in proc.stdout


def test_stage_json_uses_the_reports_path_style(tmp_path):
    project = tmp_path / "job"
    write(project / "pyproject.toml", "[tool.beam-deps]\n")
    write(project / ".gitignore", "helper.py\n")
    write(project / "helper.py", "def inc(x):\n    return x + 1\n")
    write(
        project / "jobs" / "job.py",
        """
        import sys

        import apache_beam as beam

        sys.path.insert(0, __file__.rsplit("/", 2)[0])
        import helper

        with beam.Pipeline(argv=sys.argv[1:]) as p:
            p | beam.Create([1]) | beam.Map(helper.inc)
        """,
    )
    proc = cli("stage", "jobs/job.py", "--out", "build/staging", "--format", "json", cwd=project)
    data = json.loads(proc.stdout)
    assert Path(data["root"]).resolve() == project.resolve()
    assert data["out"] == "build/staging"  # relative to root, like every file in the report
    # helper.py reached through sys.path is a finding located in the script, shown relative
    assert "jobs/job.py" in {d["file"] for d in data["diagnostics"]}, data["diagnostics"]
    files = [a for a in data["pipeline_args"] if a.startswith("--files_to_stage=")]
    assert files and all(os.path.isabs(f.split("=", 1)[1]) for f in files)  # Beam options
