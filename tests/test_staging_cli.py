"""The staging commands as a user meets them (issue 13's rough edges): what `package list
--verbose` says after a cached `stage`, a reader that closes the pipe early, one report from
`run`, a hint to ignore the staging folder in git, and help texts. Real CLI processes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from staging_support import cache_dir, cli, copy_fixture  # noqa: F401


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
    assert (
        "beam-deps: Beam warns that the .whl packages given in --extra_package must be "
        "binary-compatible with the workers: these are pure-Python wheels built by beam-deps "
        "(py3-none-any) and install on any worker"
    ) not in err  # nothing local ships here: no wheel, no warning to explain


def test_run_explains_beams_warning_about_its_pure_wheels(tmp_path):
    project = copy_fixture("loose", tmp_path)
    proc = cli("run", "pipeline.py", "--out", str(tmp_path / "out"), "--skip-check", cwd=project)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "must be binary-compatible with the worker runtime environment" in proc.stderr
    assert (
        "beam-deps: Beam warns that the .whl packages given in --extra_package must be "
        "binary-compatible with the workers: these are pure-Python wheels built by beam-deps "
        "(py3-none-any) and install on any worker"
    ) in proc.stderr.splitlines()


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
