"""`beam-deps check` with --setup_file and --extra_package: the simulated worker gets what a
real worker pip-installs (the project's declared modules and dependencies), nothing more, and
whatever could not be inspected is reported (BD413) instead of silently skipped.

Everything here is built for real (PyPA build, setuptools); nothing is mocked.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from support.dists import install_fake_dist

from beam_deps.check import check_script
from beam_deps.check.detectors.staged import staged_from_options
from beam_deps.cli import main

# Modules these tests create; dropped from sys.modules so no test sees another's copy.
_OURS = ("depdist", "helpers", "stray", "sdistmod")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch) -> Path:
    """Built wheels go to a cache of the test's own, never the user's."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("BEAM_DEPS_CACHE_DIR", str(cache))
    yield cache
    for name in _OURS:
        sys.modules.pop(name, None)


@pytest.fixture
def depdist(tmp_path, monkeypatch) -> Path:
    """A real distribution installed for the submitting process only (its own sys.path
    entry): the worker has it only if something staged makes pip install it."""
    site = install_fake_dist(tmp_path / "site", "depdist", "def triple(x):\n    return 3 * x\n")
    monkeypatch.syspath_prepend(str(site))
    return site


HELPERS = "import depdist\n\n\ndef work(x):\n    return depdist.triple(x)\n"
SETUP_PY = (
    "from setuptools import setup\n"
    "setup(name='helpers', version='1.0', py_modules=['helpers'], install_requires=['depdist'])\n"
)
PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "helpers"
version = "1.0"
dependencies = ["depdist"]

[tool.setuptools]
py-modules = ["helpers"]
"""


def pipeline(folder: Path, *functions: tuple[str, str]) -> Path:
    """A script mapping over each (module, function) it imports."""
    imports = "".join(f"from {m} import {f}\n" for m, f in functions)
    maps = "".join(f" | beam.Map({f})" for _, f in functions)
    script = folder / "job.py"
    script.write_text(
        "import sys\n\nimport apache_beam as beam\n"
        "from apache_beam.options.pipeline_options import PipelineOptions\n"
        f"{imports}\n"
        "with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:\n"
        f"    p | beam.Create([1]){maps}\n"
    )
    return script


def project(tmp_path: Path, setup_name: str = "setup.py", setup_text: str = SETUP_PY) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / setup_name).write_text(setup_text)
    (root / "helpers.py").write_text(HELPERS)
    return root


def codes(report) -> set[str]:
    return {d.code for d in report.diagnostics}


@pytest.mark.parametrize("setup_name", ["setup.py", "pyproject.toml"])
def test_setup_file_dependencies_are_installed_on_the_worker(setup_name, tmp_path, depdist):
    """Bug 1: the worker pip-installs the project's install_requires / [project] dependencies,
    so a DoFn importing one of them is fine (it was a false BD401)."""
    text = SETUP_PY if setup_name == "setup.py" else PYPROJECT
    root = project(tmp_path, setup_name, text)
    script = pipeline(root, ("helpers", "work"))
    report = check_script(script, argv=["--setup_file", str(root / setup_name)])
    assert report.ok, report.errors
    assert not codes(report) & {"BD401", "BD413"}


def test_setup_file_ships_only_what_the_project_declares(tmp_path, depdist):
    """Bug 2: a module beside setup.py that the project does not declare is not installed
    on the worker: BD402, as on a real worker (it used to count as shipped)."""
    root = project(tmp_path)
    (root / "stray.py").write_text("def stray(x):\n    return x\n")
    (root / "undeclared").mkdir()
    (root / "undeclared" / "__init__.py").write_text("")
    setup_file = root / "setup.py"

    staged = staged_from_options(PipelineOptions(["--setup_file", str(setup_file)]))
    assert staged.modules == ["helpers"] and staged.notes == []
    wheel = Path(staged.paths[0])
    assert wheel.name == "helpers-1.0-py3-none-any.whl" and "depdist" in staged.dists
    assert str(root) not in staged.paths  # the project folder itself is not importable

    script = pipeline(root, ("helpers", "work"), ("stray", "stray"))
    report = check_script(script, argv=["--setup_file", str(setup_file)])
    assert [(d.code, d.path) for d in report.errors] == [("BD402", "stray")]


def test_setup_file_wheel_is_built_once_per_content(tmp_path, private_cache):
    """Repeat checks reuse the wheel; any change to the project's files builds a new one."""
    root = project(tmp_path)
    options = PipelineOptions(["--setup_file", str(root / "setup.py")])
    first = Path(staged_from_options(options).paths[0])
    built = first.stat().st_mtime_ns
    assert first.is_relative_to(private_cache)
    again = Path(staged_from_options(options).paths[0])
    assert again == first and again.stat().st_mtime_ns == built

    (root / "helpers.py").write_text(HELPERS + "\n\nVALUE = 2\n")
    changed = Path(staged_from_options(options).paths[0])
    assert changed != first and changed.is_file()


def test_unbuildable_setup_file_falls_back_and_says_why(tmp_path, depdist):
    """A project that does not build: the old folder scan, and an info diagnostic (BD413)."""
    root = project(
        tmp_path,
        setup_text="from setuptools import setup\n"
        "setup(name='helpers', version=open('VERSION').read(), py_modules=['helpers'])\n",
    )
    (root / "VERSION").write_text("1.0\n")  # read by setup.py, but not in the sdist
    script = pipeline(root, ("helpers", "work"))
    report = check_script(script, argv=["--setup_file", str(root / "setup.py")])
    (note,) = [d for d in report.diagnostics if d.code == "BD413"]
    assert note.severity.value == "info" and note.file == str(script)
    assert "--setup_file: building" in note.message and "counts as shipped" in note.message
    assert "BD402" not in codes(report)  # helpers.py beside setup.py still counts as shipped


def _sdist(tmp_path: Path) -> tuple[Path, Path]:
    """(sdist of a project providing ``sdistmod`` that requires depdist, its source folder)."""
    src = tmp_path / "sdistproject"
    src.mkdir()
    (src / "sdistmod.py").write_text(
        "import depdist\n\n\ndef sextuple(x):\n    return 2 * depdist.triple(x)\n"
    )
    (src / "setup.py").write_text(
        "from setuptools import setup\nsetup(name='sdistmod', version='2.0', "
        "py_modules=['sdistmod'], install_requires=['depdist'])\n"
    )
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(out), "."],
        cwd=src,
        check=True,
        capture_output=True,
    )
    (sdist,) = out.glob("*.tar.gz")
    return sdist, src


def test_sdist_extra_package_is_built_and_its_dependencies_staged(tmp_path, depdist, monkeypatch):
    """Bug 3: an sdist --extra_package is pip-installed on the worker: its modules and its
    Requires-Dist are there (it was a note nobody saw, and a false BD401)."""
    sdist, src = _sdist(tmp_path)
    monkeypatch.syspath_prepend(str(src))  # installed here, as the user's own package
    folder = tmp_path / "job"
    folder.mkdir()
    script = pipeline(folder, ("sdistmod", "sextuple"))
    assert not check_script(script).ok
    report = check_script(script, argv=["--extra_package", str(sdist)])
    assert report.ok, report.errors
    assert "BD413" not in codes(report)

    staged = staged_from_options(PipelineOptions(["--extra_package", str(sdist)]))
    assert staged.modules == ["sdistmod"] and "depdist" in staged.dists


def test_what_could_not_be_inspected_is_reported(tmp_path, capsys):
    """Notes reach the user as BD413 [info]: a missing file, an sdist that is not one."""
    folder = tmp_path / "job"
    folder.mkdir()
    script = folder / "job.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            import apache_beam as beam
            from apache_beam.options.pipeline_options import PipelineOptions
            with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:
                p | beam.Create([1]) | beam.Map(str)
            """
        )
    )
    corrupt = tmp_path / "corrupt-1.0.tar.gz"
    with tarfile.open(corrupt, "w:gz") as tf:
        tf.add(script, arcname="corrupt-1.0/job.py")  # no setup.py, no pyproject.toml
    missing = tmp_path / "missing-1.0.tar.gz"
    code = main(
        ["check", str(script), "--", f"--extra_package={missing}", f"--extra_package={corrupt}"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("BD413 [info]") == 2
    assert f"extra package {missing} was not inspected: no such file" in out
    assert f"{corrupt} holds no setup.py or pyproject.toml" in out
