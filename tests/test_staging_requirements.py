"""What `stage` puts in requirements.txt, and what it says about it (a user review's findings).

* A local project that is not pip-installed: its wheel's Requires-Dist are staged (workers
  install the wheel with --no-deps), and its modules are local code, not "missing".
* Declarations (`@requires`, `requires_base`): judged against what apache-beam requires, as
  `check` judges a --requirements_file (BD409); one that cannot be pinned says so (BD420);
  a conflicting set is not printed as a requirement; each points at its file:line.
* `--worker-python` of another minor version: BD405, as `check` says it, and nothing staged.

Real scripts, real PyPA builds, the real installed apache-beam; the boot test runs the real
`beam-deps-boot` in a worker-image venv with real uv.
"""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import io
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from staging_support import cache_dir, pypi_reachable, stage_with  # noqa: F401

from beam_deps.diagnostics import Severity
from beam_deps.environment.distributions import Environment, worker_image
from beam_deps.staging import manifest, stage
from beam_deps.staging.requirements import Need, resolve
from beam_deps.staging.requires import Declaration
from beam_deps.staging.wheelhouse import Target

MERGEDEEP = md.version("mergedeep")
HERE_PY = f"{sys.version_info.major}.{sys.version_info.minor}"
OTHER_PY = "3.12" if HERE_PY != "3.12" else "3.11"

PIPELINE = """\
import apache_beam as beam
import {module}

with beam.Pipeline() as p:
    p | beam.Create([{{"a": 1}}]) | beam.Map(lambda d: {module}.merge(d, {{"b": 2}}))
"""

# Imports its dependency by a computed name (a plugin, a lazy import): only the project's
# declared dependencies say it needs mergedeep.
LIB = """\
import importlib


def merge(a, b):
    return importlib.import_module("merge" + "deep").merge({}, a, b)
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def flat_project(root: Path, install_requires: str = '["mergedeep"]') -> Path:
    """pipeline.py next to setup.py and the package it declares; never pip-installed."""
    write(
        root / "setup.py",
        "from setuptools import setup\n\n"
        'setup(\n    name="flatproj",\n    version="0.1",\n    packages=["mylib"],\n'
        f"    install_requires={install_requires},\n)\n",
    )
    write(root / "mylib" / "__init__.py", LIB)
    write(root / "pipeline.py", PIPELINE.format(module="mylib"))
    return root


def src_project(root: Path, dependencies: list[str]) -> Path:
    """A src layout (pyproject.toml, src/wordcount_lib), run with PYTHONPATH=src."""
    deps = "".join(f"    {json.dumps(d)},\n" for d in dependencies)
    write(
        root / "pyproject.toml",
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        f'\n[project]\nname = "wordcount"\nversion = "0.1"\ndependencies = [\n{deps}]\n',
    )
    write(root / "src" / "wordcount_lib" / "__init__.py", LIB)
    write(root / "pipeline.py", PIPELINE.format(module="wordcount_lib"))
    return root


def local_requires_dist(out: Path) -> list[Requirement]:
    """The Requires-Dist (no extra) of every local wheel staged in ``out``."""
    found = []
    for a in manifest.read(out)["artifacts"]:
        if a["role"] != "local_wheel":
            continue
        with zipfile.ZipFile(out / a["path"]) as zf:
            (meta,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
            text = zf.read(meta).decode()
        for line in text.splitlines():
            if line.startswith("Requires-Dist:"):
                req = Requirement(line.split(":", 1)[1].strip())
                if req.marker is None or req.marker.evaluate({"extra": ""}):
                    found.append(req)
    return found


def unmet(out: Path) -> list[str]:
    """Requires-Dist of the staged wheels that neither requirements.txt nor the worker image
    (apache-beam's closure) provides: what beam-deps-boot reports as BD504."""
    image = worker_image(Environment())
    staged = {Requirement(r).name.lower() for r in manifest.read(out)["requirements"]}
    return [
        str(r)
        for r in local_requires_dist(out)
        if r.name.lower() not in staged and not image.has(r.name)
    ]


def cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "beam_deps.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=dict(os.environ, **env),
        timeout=600,
    )


def codes(staging) -> list[str]:
    return sorted(d.code for d in staging.diagnostics)


# ---------------------------------------------------------------------------- 1. local project
def test_setup_py_project_not_installed_stages_its_install_requires(tmp_path):
    project = flat_project(tmp_path / "flat")
    staging = stage(project / "pipeline.py", out=tmp_path / "out")
    assert staging.written and staging.ok, staging.diagnostics
    assert staging.requirements == [f"mergedeep=={MERGEDEEP}"]
    assert manifest.read(staging.out)["requirements"] == [f"mergedeep=={MERGEDEEP}"]
    assert (staging.out / "requirements.txt").read_text() == f"mergedeep=={MERGEDEEP}\n"
    assert [r.name for r in local_requires_dist(staging.out)] == ["mergedeep"]
    assert unmet(staging.out) == []
    assert codes(staging) == []
    assert f"--requirements_file={staging.out}/requirements.txt" in staging.pipeline_args


def test_src_layout_on_pythonpath_stages_dependencies_and_is_not_missing(tmp_path):
    """The review's repro, through the CLI with a real PYTHONPATH=src: the dependencies are
    staged (markers evaluated for the workers, extras not selected, one that is not installed
    here said), and wordcount_lib, shipped in the project's wheel, is not "missing"."""
    assert importlib.util.find_spec("tabulate") is None, "this test needs tabulate not installed"
    project = src_project(
        tmp_path / "wc",
        [
            "mergedeep>=1.3",
            "iniconfig; extra == 'dev'",  # installed here, but an extra is not selected
            "pluggy; python_version < '3'",  # installed here, but not for these workers
            "tabulate>=0.9",  # not installed here
        ],
    )
    pythonpath = os.pathsep.join(filter(None, ["src", os.environ.get("PYTHONPATH")]))
    proc = cli(
        "stage", "pipeline.py", "--out", "out", "--format", "json", "--no-cache",
        cwd=project, PYTHONPATH=pythonpath,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout)
    assert data["requirements"] == [f"mergedeep=={MERGEDEEP}", "tabulate>=0.9"]
    assert [a["path"] for a in data["artifacts"] if a["role"] == "local_wheel"] == [
        "wheels/wordcount-0.1-py3-none-any.whl"
    ]
    found = [(d["code"], d["severity"]) for d in data["diagnostics"]]
    assert found == [("BD420", "warning")], data["diagnostics"]
    (bd420,) = data["diagnostics"]
    assert "tabulate>=0.9 is declared but tabulate is not installed here" in bd420["message"]
    assert "cannot be pinned" in bd420["message"]
    pyproject = project / "pyproject.toml"
    tabulate_line = pyproject.read_text().splitlines().index('    "tabulate>=0.9",') + 1
    # the JSON's path style: relative to the project root (the folder of pyproject.toml)
    assert Path(data["root"]).resolve() == project.resolve()
    assert (bd420["file"], bd420["line"]) == ("pyproject.toml", tabulate_line)
    assert unmet(project / "out") == []


def test_project_requiring_what_apache_beam_rejects_is_an_error(tmp_path):
    bad = beam_rejected_requests()
    project = flat_project(tmp_path / "flat", f'["mergedeep", "requests=={bad}"]')
    staging = stage(project / "pipeline.py", out=tmp_path / "out")
    assert not staging.written and codes(staging) == ["BD409"]
    (bd409,) = staging.diagnostics
    assert f"requests=={bad}" in bd409.message and "required by apache-beam" in bd409.message
    setup_py = project / "setup.py"
    line = (
        setup_py.read_text()
        .splitlines()
        .index(f'    install_requires=["mergedeep", "requests=={bad}"],')
        + 1
    )
    assert (bd409.file, bd409.line) == (str(setup_py.resolve()), line)
    assert not any(r.startswith("requests") for r in staging.requirements)


def test_declarations_of_a_project_follow_the_worker_markers(tmp_path):
    """Requires-Dist markers are evaluated for the target (--worker-python/--worker-platform),
    not for this machine."""
    project = src_project(
        tmp_path / "wc",
        ["mergedeep", "iniconfig; sys_platform == 'darwin'", "pluggy; sys_platform == 'linux'"],
    )
    from beam_deps.staging import local_code
    from beam_deps.staging.requirements import marker_environment, project_declarations

    wheel, _, _ = local_code.build_project(project, tmp_path / "w", None, "wc")
    linux = project_declarations(wheel, project, marker_environment(Target(HERE_PY)))
    mac = project_declarations(
        wheel, project, marker_environment(Target(None, ("macosx_11_0_arm64",)))
    )
    assert [d.requirement for d in linux] == ["mergedeep", "pluggy"]
    assert [d.requirement for d in mac] == ["mergedeep", "iniconfig"]
    assert {d.file for d in linux} == {str(project / "pyproject.toml")}
    lines = (project / "pyproject.toml").read_text().splitlines()
    at = [
        lines.index('    "mergedeep",') + 1,
        lines.index("""    "pluggy; sys_platform == 'linux'",""") + 1,
    ]
    assert [d.line for d in linux] == at  # where each dependency is written
    assert linux[0].origin == "Requires-Dist of the local project wordcount 0.1"


def test_a_project_dependency_installed_editable_is_a_snapshot_not_a_pin(tmp_path):
    """A monorepo: the project requires a sibling library installed with `pip install -e`.
    No index has it, so it ships as a wheel snapshot (as when an import needs it), and the
    project itself, built from its folder, is neither pinned nor snapshotted."""
    from staging_support import dev_venv

    python = dev_venv(tmp_path)
    shared = tmp_path / "sharedlib"
    write(
        shared / "pyproject.toml",
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "sharedlib"\nversion = "0.3.0"\n'
        "[tool.setuptools]\npackages = ['sharedlib']\n",
    )
    write(shared / "sharedlib" / "__init__.py", "NAME = 'shared'\n")
    project = flat_project(tmp_path / "flat", '["mergedeep", "sharedlib"]')
    uv = __import__("shutil").which("uv", path=str(Path(sys.executable).parent)) or "uv"
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(python), "-e", str(shared), "wheel"],
        check=True,
        capture_output=True,
    )
    data = stage_with(python, project / "pipeline.py", tmp_path / "out")
    assert data["requirements"] == [f"mergedeep=={MERGEDEEP}"]
    wheels = sorted(a["path"] for a in data["artifacts"] if a["role"] == "local_wheel")
    assert wheels == [
        "wheels/flatproj-0.1-py3-none-any.whl",
        "wheels/sharedlib-0.3.0-py3-none-any.whl",
    ]
    assert [(d["code"], d["severity"]) for d in data["diagnostics"]] == [("BD404", "info")]
    assert "sharedlib is an editable install" in data["diagnostics"][0]["message"]


def test_the_real_boot_installs_a_staged_project_that_is_not_pip_installed(
    tmp_path, tmp_path_factory
):
    """Before: requirements.txt lacked mergedeep and beam-deps-boot failed with
    "BD504 ... flatproj 0.1 needs mergedeep, missing"."""
    if not pypi_reachable():
        pytest.skip("the wheelhouse and the worker image come from PyPI, which is not reachable")
    import boot_support as bs

    assets = bs.assets(tmp_path_factory.getbasetemp() / "boot-assets")
    project = flat_project(tmp_path / "flat")
    staging = stage(project / "pipeline.py", out=tmp_path / "out", wheelhouse=True, progress=None)
    assert staging.written and staging.ok, staging.diagnostics
    cache = tmp_path / "cache"
    result = subprocess.run(
        [str(bs.image_bin(assets.image, "beam-deps-boot")), "--setup-only",
         "--staged", str(staging.out)],
        env=bs.clean_env(BEAM_DEPS_CACHE_DIR=str(cache)),
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    probe = subprocess.run(
        [result.stdout.strip(), "-c", "import mylib; print(mylib.merge({'a': 1}, {'b': 2}))"],
        env=bs.clean_env(),
        capture_output=True,
        text=True,
        cwd="/",
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "{'a': 1, 'b': 2}"


# ---------------------------------------------------------------------------- 2. declarations
def beam_requires(name: str) -> Requirement:
    for line in md.requires("apache-beam") or ():
        req = Requirement(line)
        if req.name == name and req.marker is None:
            return req
    raise AssertionError(f"apache-beam does not require {name}")


def beam_rejected_requests() -> str:
    spec = beam_requires("requests").specifier
    for candidate in ("2.32.3", "2.0.0"):
        if not spec.contains(candidate):
            return candidate
    pytest.skip(f"apache-beam accepts every requests version tried ({spec})")


def declaring_script(path: Path, body: str) -> Path:
    return write(
        path,
        "import apache_beam as beam\nfrom beam_deps import requires, requires_base\n\n"
        + textwrap.dedent(body)
        + "\nwith beam.Pipeline() as p:\n    p | beam.Create([1]) | beam.Map(f)\n",
    )


def test_requires_base_against_apache_beams_requirement_is_bd409_as_check_says(tmp_path):
    bad = beam_rejected_requests()
    script = declaring_script(
        tmp_path / "p.py",
        f"""\
        requires_base("requests=={bad}")


        def f(x):
            return x
        """,
    )
    staging = stage(script, out=tmp_path / "out")
    assert not staging.written and codes(staging) == ["BD409"]  # no BD410, no BD420
    (bd409,) = staging.diagnostics
    assert bd409.severity is Severity.ERROR
    assert (bd409.file, bd409.line) == (str(script.resolve()), 4)
    assert f"requests=={bad} (pipeline, p.py:4)" in bd409.message
    assert f"requests{beam_requires('requests').specifier}" in bd409.message
    assert "required by apache-beam" in bd409.message
    assert f"requests=={md.version('requests')}" in bd409.fix  # what the image has
    assert not any(r.startswith("requests") for r in staging.requirements)

    # `check` says the same of the same line in a --requirements_file.
    from beam_deps.check import check_script

    reqs = write(tmp_path / "requirements.txt", f"requests=={bad}\n")
    job = write(
        tmp_path / "job.py",
        "import sys\nimport apache_beam as beam\n\n"
        "with beam.Pipeline(argv=sys.argv[1:]) as p:\n    p | beam.Create([1])\n",
    )
    report = check_script(job, argv=["--requirements_file", str(reqs)])
    about = [(d.code, d.severity) for d in report.diagnostics if d.file == str(reqs)]
    assert about == [("BD409", Severity.ERROR)]


def test_declared_but_not_installed_is_a_warning_at_the_decorator(tmp_path):
    assert importlib.util.find_spec("tabulate") is None, "this test needs tabulate not installed"
    script = declaring_script(
        tmp_path / "p.py",
        """\
        @requires("tabulate>=0.9")
        def f(x):
            return x
        """,
    )
    staging = stage(script, out=tmp_path / "out")
    assert staging.written and staging.ok
    assert staging.requirements == ["tabulate>=0.9"]
    (bd420,) = staging.diagnostics
    assert (bd420.code, bd420.severity) == ("BD420", Severity.WARNING)
    assert (bd420.file, bd420.line) == (str(script.resolve()), 4)
    assert "not installed here, so it cannot be pinned" in bd420.message


def test_conflicting_declarations_are_not_printed_as_a_requirement(tmp_path):
    script = declaring_script(
        tmp_path / "p.py",
        f"""\
        @requires("mergedeep=={MERGEDEEP}")
        def f(x):
            return x


        @requires("mergedeep<{MERGEDEEP}")
        def g(x):
            return x
        """,
    )
    proc = cli("requirements", "p.py", "--no-cache", cwd=tmp_path)
    assert proc.returncode == 1
    assert "mergedeep" not in proc.stdout  # no "mergedeep<1.3.4,==1.3.4" line
    found = [ln for ln in proc.stderr.splitlines() if " BD4" in ln]
    assert len(found) == 1, proc.stderr
    assert found[0].startswith("p.py:9: BD409 [error] declared requirements for mergedeep")
    assert f"mergedeep=={MERGEDEEP} (__main__.f, p.py:4)" in found[0]
    assert f"mergedeep<{MERGEDEEP} (__main__.g, p.py:9)" in found[0]
    assert "<object>" not in proc.stderr

    staging = stage(script, out=tmp_path / "out")
    assert codes(staging) == ["BD409"] and not staging.written
    assert not any("mergedeep" in r for r in staging.requirements)


def test_a_conflict_none_of_whose_sides_is_installed_says_so_once(tmp_path):
    env = Environment()
    result = resolve(
        [Need("mergedeep", "import")],
        env,
        worker_image(env),
        [
            Declaration("mergedeep==1.0", "__main__.A", "/p/s.py", 3),
            Declaration("mergedeep==1.1", "__main__.B", "/p/s.py", 8),
        ],
    )
    assert [d.code for d in result.diagnostics] == ["BD409", "BD420"]
    bd409, bd420 = result.diagnostics
    assert (bd409.file, bd409.line) == ("/p/s.py", 8)
    assert f"admits {MERGEDEEP}, the version installed here" in bd420.message
    assert "==1.0,==1.1" not in bd420.message and "==1.1,==1.0" not in bd420.message
    assert result.lines == []


def test_requirements_file_lines_point_at_their_line_and_markers_apply(tmp_path):
    script = declaring_script(tmp_path / "p.py", "def f(x):\n    return x\n")
    reqs = write(
        tmp_path / "mine.txt",
        f'# pins\npywin32; sys_platform == "win32"\nmergedeep<{MERGEDEEP}\n',
    )
    staging = stage(script, out=tmp_path / "out", pipeline_args=[f"--requirements_file={reqs}"])
    assert staging.written
    assert staging.requirements == [f"mergedeep<{MERGEDEEP}"]  # no pywin32 on a Linux worker
    (bd420,) = staging.diagnostics
    assert (bd420.code, bd420.file, bd420.line) == ("BD420", str(reqs), 3)


def test_applicable_evaluates_markers_for_the_target():
    from beam_deps.staging.requirements import applicable, marker_environment

    decls = [
        Declaration('pywin32; sys_platform == "win32"', "x"),
        Declaration(f'mergedeep; python_version == "{OTHER_PY}"', "x"),
        Declaration("iniconfig", "x"),
    ]
    linux_other = applicable(decls, marker_environment(Target(OTHER_PY)))
    assert [d.requirement.split(";")[0] for d in linux_other] == ["mergedeep", "iniconfig"]
    windows = applicable(decls, marker_environment(Target(HERE_PY, ("win_amd64",))))
    assert [d.requirement.split(";")[0] for d in windows] == ["pywin32", "iniconfig"]


# ---------------------------------------------------------------------------- 3. worker python
def test_another_worker_python_is_bd405_and_nothing_is_downloaded(tmp_path):
    project = flat_project(tmp_path / "flat")
    progress = io.StringIO()
    staging = stage(
        project / "pipeline.py",
        out=tmp_path / "out",
        wheelhouse=True,
        target=Target(OTHER_PY),
        progress=progress,
    )
    assert not staging.written and not (tmp_path / "out").exists()
    assert progress.getvalue() == ""  # no cp312 wheel downloaded for a staging that is refused
    (bd405,) = [d for d in staging.diagnostics if d.code == "BD405"]
    assert bd405.severity is Severity.ERROR  # as `check --worker-python` reports it
    assert f"runs Python {OTHER_PY} but you build the pipeline with Python {HERE_PY}" in (
        bd405.message
    )
    assert (bd405.file, bd405.line) == (str((project / "pipeline.py").resolve()), 4)
    assert [p.name for p in tmp_path.iterdir()] == ["flat"], "temporary siblings left"


def test_cli_worker_python_skew_and_bad_value(tmp_path):
    project = flat_project(tmp_path / "flat")
    skew = cli("stage", "pipeline.py", "--worker-python", OTHER_PY, "--no-cache", cwd=project)
    assert skew.returncode == 1
    assert "BD405 [error]" in skew.stderr and "nothing staged" in skew.stderr
    bad = cli("stage", "pipeline.py", "--worker-python", "312", cwd=project)
    assert bad.returncode == 2
    assert "--worker-python must look like 3.11, got '312'" in bad.stderr


def test_manifest_says_the_workers_python_and_the_one_it_was_built_with(tmp_path):
    project = flat_project(tmp_path / "flat")
    staging = stage(
        project / "pipeline.py",
        out=tmp_path / "out",
        target=Target(HERE_PY, ("manylinux2014_x86_64",)),
    )
    assert staging.written and codes(staging) == []
    data = manifest.read(staging.out)
    assert data["python"] == HERE_PY  # what beam-deps-boot compares with the worker's
    assert data["built_with_python"] == HERE_PY


def test_one_upper_bound_is_no_conflict():
    """`mergedeep<1.3` alone is satisfiable (by 1.2, 1.0...) even though it excludes the
    installed version: a BD420 at most, never a BD409 (for check's requirements files too)."""
    from beam_deps.staging.requires import merge

    installed = {"mergedeep": MERGEDEEP}
    assert not merge([Declaration(f"mergedeep<{MERGEDEEP}", "a")], installed)[0].conflict
    assert not merge([Declaration("mergedeep>1.0,<1.0.1", "a")], installed)[0].conflict
    assert not merge([Declaration("mergedeep!=1.3.4", "a")], installed)[0].conflict
    both = [Declaration(f"mergedeep<{MERGEDEEP}", "a"), Declaration(f"mergedeep=={MERGEDEEP}", "b")]
    assert merge(both, installed)[0].conflict
