"""BD423: check says what Beam's stager will refuse at submission about --setup_file, and
Beam's own stager really refuses it with the message check quotes."""

from __future__ import annotations

import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.stager import Stager

from beam_deps.check import check_script

SCRIPT = (
    "import sys\nimport apache_beam as beam\n\n"
    "with beam.Pipeline(argv=sys.argv[1:]) as p:\n"
    "    p | beam.Create([1]) | beam.Map(lambda x: x)\n"
)


def _beam_refuses(setup_file: str, tmp_path) -> str:
    options = PipelineOptions([f"--setup_file={setup_file}"])
    with pytest.raises(RuntimeError) as raised:
        Stager.create_job_resources(options, str(tmp_path / "build"))
    return str(raised.value)


@pytest.mark.parametrize("name", ["missing/setup.py", "build.py"])
def test_a_setup_file_beams_stager_refuses_is_bd423(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "job.py").write_text(SCRIPT)
    if name == "build.py":
        (tmp_path / name).write_text("from setuptools import setup\nsetup(name='x')\n")
    report = check_script(tmp_path / "job.py", argv=[f"--setup_file={name}"])
    (found,) = [d for d in report.errors if d.code == "BD423"]
    quoted = found.message.split("with '", 1)[1].rstrip("'")
    assert quoted in _beam_refuses(name, tmp_path)
    assert found.file == str(tmp_path / "job.py") and found.line == 4


def test_an_existing_setup_py_is_not_bd423(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BEAM_DEPS_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "job.py").write_text(SCRIPT)
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup(name='x')\n")
    report = check_script(tmp_path / "job.py", argv=["--setup_file=setup.py"])
    assert not [d for d in report.diagnostics if d.code == "BD423"]
