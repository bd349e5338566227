"""`package list` and `requirements` on a script whose own arguments are required and not
given: the static import closure, said on stderr; `stage` still needs the real arguments."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """\
import argparse
import apache_beam as beam
import mergedeep
from helpers_mod import double


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", required=True)
    known, rest = parser.parse_known_args()
    with beam.Pipeline(argv=rest) as p:
        p | beam.Create([1]) | beam.Map(double) | beam.io.WriteToText(known.output)


if __name__ == "__main__":
    main()
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "job.py").write_text(SCRIPT)
    (tmp_path / "helpers_mod.py").write_text("def double(x):\n    return 2 * x\n")
    return tmp_path


def _cli(project, *argv):
    env = {"BEAM_DEPS_CACHE_DIR": str(project / "cache"), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "beam_deps.cli", *argv],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_package_list_and_requirements_fall_back_to_the_import_closure(project):
    listing = _cli(project, "package", "list", "job.py")
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.split() == ["helpers_mod.py"]
    requirements = _cli(project, "requirements", "job.py")
    assert requirements.returncode == 0, requirements.stderr
    assert requirements.stdout.split() == ["mergedeep==1.3.4"]
    for proc in (listing, requirements):
        (said,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("beam-deps: static")]
        assert "called sys.exit(2) before building a pipeline" in said
        assert "pass its arguments after --" in said


def test_stage_still_needs_the_real_arguments(project):
    proc = _cli(project, "stage", "job.py", "--out", "staging")
    assert proc.returncode == 2
    assert "beam-deps: error:" in proc.stderr and "called sys.exit(2)" in proc.stderr
    assert "static" not in proc.stderr
    assert not (project / "staging").exists()
    full = _cli(project, "requirements", "job.py", "--", "--output=out")
    assert full.returncode == 0 and "static" not in full.stderr
