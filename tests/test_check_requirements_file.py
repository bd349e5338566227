"""`beam-deps check` reads the pipeline's `--requirements_file` as Beam's stager ships it and
every worker pip-installs it: a missing file (BD414), two pins no version satisfies, or a pin
against what apache-beam requires (BD409) are errors; a pin that differs from the worker
image's copy is a warning (BD410). Each finding points at the file and line to change.

Real scripts, real requirements files, the real installed apache-beam; nothing is mocked.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from beam_deps.check import check_script
from beam_deps.diagnostics import Severity

SCRIPT = """\
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:
    p | beam.Create([1, 2]) | beam.Map(lambda x: x + 1)
"""

REQUESTS = importlib.metadata.version("requests")  # in apache-beam's dependency closure


def beam_requires(name: str) -> Requirement:
    """apache-beam's own Requires-Dist line for ``name`` that applies here (no extra; Beam
    2.78 splits numpy's by Python version)."""
    for line in importlib.metadata.requires("apache-beam") or ():
        req = Requirement(line)
        if req.name == name and (req.marker is None or req.marker.evaluate({"extra": ""})):
            return req
    raise AssertionError(f"apache-beam does not require {name}")


def check(tmp_path: Path, requirements: str | None, *argv: str, **kwargs):
    """Check the tiny pipeline with ``requirements`` as its --requirements_file."""
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    if requirements is not None:
        (tmp_path / "requirements.txt").write_text(requirements)
        argv = ("--requirements_file", str(tmp_path / "requirements.txt"), *argv)
    return check_script(script, argv=list(argv), **kwargs)


def about_file(report, path: Path) -> list[tuple[str, Severity, int | None]]:
    return [(d.code, d.severity, d.line) for d in report.diagnostics if d.file == str(path)]


def test_one_distribution_pinned_twice_is_a_conflict(tmp_path):
    report = check(tmp_path, "# pinned by two teams\nhypothesis==6.170.17\nhypothesis==6.1.0\n")
    req = tmp_path / "requirements.txt"
    assert about_file(report, req) == [("BD409", Severity.ERROR, 3)]
    (bd409,) = [d for d in report.diagnostics if d.code == "BD409"]
    assert "hypothesis==6.170.17" in bd409.message and "hypothesis==6.1.0" in bd409.message
    assert f"{req}:2" in bd409.message and "Keep one requirement for hypothesis" in bd409.fix
    assert not report.ok


def test_pins_against_what_apache_beam_requires_are_errors(tmp_path):
    """pip cannot install requests==2.0.0 beside apache-beam (nor any numpy 3)."""
    requests, numpy = beam_requires("requests"), beam_requires("numpy")
    assert not requests.specifier.contains("2.0.0") and not numpy.specifier.contains("3")
    report = check(tmp_path, "requests==2.0.0\nnumpy>=3  # the future\n")
    req = tmp_path / "requirements.txt"
    assert about_file(report, req) == [
        ("BD409", Severity.ERROR, 2),  # sorted by name: numpy first
        ("BD409", Severity.ERROR, 1),
    ]
    by_line = {d.line: d for d in report.diagnostics if d.code == "BD409"}
    assert f"requests{requests.specifier}" in by_line[1].message
    assert "required by apache-beam" in by_line[1].message
    assert f"requests=={REQUESTS}" in by_line[1].fix  # what the image has
    assert f"numpy{numpy.specifier}" in by_line[2].message
    assert not report.ok


def test_hashed_requirements_are_read_with_their_first_line(tmp_path):
    """pip-compile --generate-hashes output: a requirement continued over several lines."""
    report = check(tmp_path, "requests==2.0.0 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    assert about_file(report, tmp_path / "requirements.txt") == [("BD409", Severity.ERROR, 1)]


def other_allowed_requests() -> str:
    """A requests version apache-beam accepts that is not the one installed here."""
    spec = beam_requires("requests").specifier
    lower = [s.version for s in spec if s.operator in (">=", "==")]
    if not lower or Version(lower[0]) == Version(REQUESTS) or not spec.contains(lower[0]):
        pytest.skip(f"no other requests version known to satisfy {spec}")
    return lower[0]


def test_pin_that_only_differs_from_the_image_is_a_warning(tmp_path):
    other = other_allowed_requests()
    report = check(tmp_path, f"requests=={other}\n")
    assert about_file(report, tmp_path / "requirements.txt") == [("BD410", Severity.WARNING, 1)]
    (bd410,) = [d for d in report.diagnostics if d.code == "BD410"]
    assert f"requests=={REQUESTS}" in bd410.message  # the image's copy it replaces
    assert report.ok


def test_worker_requirements_is_the_image_pins_are_compared_with(tmp_path):
    """With --worker-requirements, the freeze is the image: pinning what is installed here
    replaces the image's other version."""
    other = other_allowed_requests()
    freeze = tmp_path / "image.txt"
    beam = importlib.metadata.version("apache-beam")
    freeze.write_text(f"apache-beam=={beam}\nrequests=={other}\n")
    report = check(tmp_path, f"requests=={REQUESTS}\n", worker_requirements=freeze)
    assert about_file(report, tmp_path / "requirements.txt") == [("BD410", Severity.WARNING, 1)]
    (bd410,) = [d for d in report.diagnostics if d.code == "BD410"]
    assert str(freeze) in bd410.message and f"requests=={other}" in bd410.message


def test_missing_requirements_file_fails_the_submission(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = check(tmp_path, None, "--requirements_file", "nope.txt")
    (bd414,) = [d for d in report.diagnostics if d.code == "BD414"]
    assert bd414.severity is Severity.ERROR and not report.ok
    assert "'nope.txt' does not exist" in bd414.message
    assert "The file nope.txt cannot be found" in bd414.message  # Beam's own words
    assert bd414.file == str(tmp_path / "job.py")  # the pipeline that passes the option


def test_clean_requirements_file_says_nothing(tmp_path):
    """A pin of what is installed here (and in the image) is fine; a bad line added below it
    is blamed alone."""
    clean = check(tmp_path, f"requests=={REQUESTS}\n")
    assert clean.diagnostics == [] and clean.ok
    dirty = check(tmp_path, f"requests=={REQUESTS}\nrequests==2.0.0\n")
    assert about_file(dirty, tmp_path / "requirements.txt") == [("BD409", Severity.ERROR, 2)]
