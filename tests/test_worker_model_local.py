"""The local worker model is apache-beam as installed here, extras included.

A local worker (DirectRunner, PROCESS, EXTERNAL, LOOPBACK) runs in this environment, so
apache-beam's extras whose requirements are all installed here (``dataframe`` -> pandas) are on
it, as they are in every Beam SDK image; third-party packages no satisfied extra names stay out
of the model (BD401), which is a warning when this environment has them (a local worker imports
them; a runner with its own workers would not). Also: where a finding made inside Beam's
DataFrame API points, BD401's fix for a module declared with ``@requires``, the simulated
worker's interpreter modules and its quiet Beam import, and BD110's catalogue text.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import apache_beam
import pytest

from beam_deps.check import check_script
from beam_deps.check.simulated.probe import CHILD, WorkerProbe
from beam_deps.environment.distributions import Environment, worker_image

EXAMPLES = Path(apache_beam.__file__).parent / "examples"
BEAM_DEPS = Path(sys.executable).parent / "beam-deps"

pandas_installed = importlib.util.find_spec("pandas") is not None
# installed here (pytest's dependency), required by no apache-beam extra
OUTSIDER = "iniconfig"


def _dist_info(root: Path, name: str, requires: list[str], extras: list[str] = ()) -> None:
    info = root / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", "Version: 1.0"]
    lines += [f"Provides-Extra: {e}" for e in extras]
    lines += [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n")


def test_installed_extras_are_those_whose_requirements_are_all_installed(tmp_path):
    _dist_info(
        tmp_path,
        "proj",
        [
            "base-dep",
            'have-a; extra == "full"',
            'missing-b; extra == "full"',
            'have-a; extra == "frames"',
            'proj[frames]; extra == "chained"',
            'proj[full]; extra == "broken-chain"',
            'have-a; extra == "never" and python_version < "3"',
        ],
        ["full", "frames", "chained", "broken-chain", "never"],
    )
    for dep in ("base-dep", "have-a"):
        _dist_info(tmp_path, dep, [])
    env = Environment([str(tmp_path)])
    assert env.installed_extras("proj") == {"frames", "chained"}
    assert env.installed_extras("not-installed") == frozenset()


def test_the_model_and_the_simulated_worker_get_the_same_extras_never_the_picklers():
    """One rule for both (the probe reads apache-beam's metadata only, the model an
    Environment); the dill extra is BD407's business: in the tox dill env it is satisfied."""
    from beam_deps.environment.distributions import PICKLER_EXTRAS, local_worker_extras

    env = Environment()
    assert local_worker_extras() == local_worker_extras(env)
    assert local_worker_extras(env) == env.installed_extras("apache-beam") - PICKLER_EXTRAS
    assert not local_worker_extras() & PICKLER_EXTRAS


@pytest.mark.skipif(not pandas_installed, reason="pandas (apache-beam[dataframe]) not installed")
def test_local_model_has_beams_dataframe_extra_but_no_outsider():
    env = Environment()
    assert "dataframe" in env.installed_extras("apache-beam")
    model = worker_image(env)
    assert model.has("pandas")
    assert env.version(OUTSIDER) is not None
    assert not model.has(OUTSIDER)


@pytest.mark.skipif(not pandas_installed, reason="pandas (apache-beam[dataframe]) not installed")
def test_the_simulated_worker_has_the_same_local_model():
    with WorkerProbe() as probe:
        image = probe.ready()["image"]
        assert "pandas" in image
        assert OUTSIDER not in image
        # Beam's "apitools not found" import-time warning is not in the worker's stderr
        assert "apitools" not in probe.stderr_tail(20)


SCRIPT = """
import apache_beam as beam
{decorator_import}


{decorator}class Frames(beam.DoFn):
    def process(self, x):
        import pandas

        yield len(pandas.DataFrame([x]))


class Outsider(beam.DoFn):
    def process(self, x):
        import iniconfig

        yield iniconfig.__name__


if __name__ == "__main__":
    with beam.Pipeline() as p:
        xs = p | beam.Create([1])
        xs | "frames" >> beam.ParDo(Frames())
        xs | "outsider" >> beam.ParDo(Outsider())
"""


def _missing(report) -> dict[str, object]:
    return {
        d.extra.get("module"): d
        for d in report.diagnostics
        if d.code in ("BD401", "BD403") and d.extra
    }


@pytest.mark.skipif(not pandas_installed, reason="pandas (apache-beam[dataframe]) not installed")
def test_local_runner_pandas_is_on_the_worker_and_an_outsider_is_not(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(SCRIPT.format(decorator_import="", decorator=""))
    missing = _missing(check_script(script))
    assert set(missing) == {OUTSIDER}
    assert "add `iniconfig==" in missing[OUTSIDER].fix


def test_a_package_of_this_environment_is_a_warning_on_local_workers_only(tmp_path):
    """A local worker is a process of this interpreter: it imports what this environment has
    installed (an error would be false there); a runner with its own workers does not."""
    script = tmp_path / "job.py"
    script.write_text(SCRIPT.format(decorator_import="", decorator=""))
    local = _missing(check_script(script))[OUTSIDER]
    assert local.severity.value == "warning", local
    assert "this runner's workers are processes of this interpreter" in local.message
    assert local.fix.startswith("Nothing to do for this runner.")
    freeze = tmp_path / "freeze.txt"  # a worker with its own environment: Beam and pandas
    freeze.write_text(f"apache-beam=={apache_beam.__version__}\npandas\n")
    remote = _missing(check_script(script, worker_requirements=freeze))[OUTSIDER]
    assert remote.severity.value == "error" and "add `iniconfig==" in remote.fix


def test_local_workers_import_the_environment_not_this_process_path(tmp_path, monkeypatch):
    from beam_deps.environment.workers import interpreter_path, local_worker_imports

    (tmp_path / "only_on_my_path.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert str(tmp_path) not in interpreter_path()
    assert not local_worker_imports("only_on_my_path")  # PYTHONPATH / sys.path: not there
    assert local_worker_imports(OUTSIDER)  # installed in this environment: there


def test_bd401_fix_for_a_requires_declared_module_points_at_stage(tmp_path):
    script = tmp_path / "job.py"
    body = SCRIPT.format(
        decorator_import="from beam_deps import requires", decorator='@requires("pandas")\n'
    ).replace("class Outsider", '@requires("iniconfig")\nclass Outsider')
    script.write_text(body)
    missing = _missing(check_script(script))
    fix = missing[OUTSIDER].fix
    assert "@requires" in fix and "beam-deps stage" in fix
    assert "add `iniconfig==" not in fix


def test_a_finding_inside_beams_dataframe_api_points_at_the_users_script(tmp_path):
    """Beam's wordcount_dataframe.py lives in site-packages and builds its transforms inside
    the DataFrame API: the location is its own line that led there, not a beam-deps frame."""
    source = tmp_path / "in.txt"
    source.write_text("the cat the dog\n")
    freeze = tmp_path / "freeze.txt"  # a worker without pandas: BD401 for the DataFrame API
    freeze.write_text(f"apache-beam=={apache_beam.__version__}\n")
    script = EXAMPLES / "wordcount_dataframe.py"
    report = check_script(
        script,
        argv=["--input", str(source), "--output", str(tmp_path / "out")],
        worker_requirements=freeze,
    )
    [found] = [d for d in report.diagnostics if d.code == "BD401"]
    assert Path(found.file).resolve() == script.resolve()
    assert script.read_text().splitlines()[found.line - 1].strip() == "run()"


@pytest.mark.skipif(not BEAM_DEPS.exists(), reason="beam-deps console script not installed")
def test_the_cli_on_beams_dataframe_example_is_clean_and_quiet(tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("the cat the dog\n")
    freeze = tmp_path / "freeze.txt"
    freeze.write_text(f"apache-beam=={apache_beam.__version__}\n")
    script = str(EXAMPLES / "wordcount_dataframe.py")
    args = ["--", "--input", str(source), "--output", str(tmp_path / "out")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    clean = subprocess.run(
        [str(BEAM_DEPS), "check", script, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "apitools" not in clean.stderr
    flagged = subprocess.run(
        [str(BEAM_DEPS), "check", "--worker-requirements", str(freeze), script, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert "BD401" in flagged.stdout
    assert "bin/beam-deps" not in flagged.stdout
    assert "wordcount_dataframe.py:29" in flagged.stdout


def _child():
    spec = importlib.util.spec_from_file_location("_beam_deps_child_under_test", CHILD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_simulated_worker_allows_every_module_of_the_interpreter():
    import sysconfig

    from beam_deps.staging.imports import interpreter_modules

    child = _child()
    allowed = child.Allowed(sorted(interpreter_modules()))  # as the probe's config gives them
    names = set(sys.stdlib_module_names)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    names |= {p.stem for p in stdlib.glob("_sysconfigdata_*.py")}
    names |= {p.name.split(".")[0] for p in (stdlib / "lib-dynload").glob("*.so")}
    assert all(allowed.allows(n) for n in names), [n for n in names if not allowed.allows(n)]
    assert not allowed.allows(OUTSIDER)


def test_bd110_docs_say_urls_with_a_password_are_bd110_too():
    from beam_deps.catalogue import rule

    assert "`scheme://user:password@host`" in rule("BD110").explanation


@pytest.mark.skipif(not pandas_installed, reason="pandas (apache-beam[dataframe]) not installed")
def test_beams_dataframe_example_runs_on_isolated_local_workers_as_check_predicts(tmp_path):
    """The proof: with nothing staged, Beam's DataFrame wordcount really runs on local worker
    processes in an empty folder, and check (same worker options) reports no error."""
    from isolated import isolated_pipeline_args, run_isolated

    source = tmp_path / "in.txt"
    source.write_text("the cat the dog\n")
    script = EXAMPLES / "wordcount_dataframe.py"
    args = ["--input", str(source), "--output", str(tmp_path / "out" / "counts")]
    run = run_isolated(script, args, workdir=tmp_path / "run")
    assert run.ok, run
    assert list((tmp_path / "out").glob("counts*")), run
    predicted = check_script(script, argv=[*args, *isolated_pipeline_args(tmp_path / "check")])
    assert predicted.ok, predicted.errors
    assert predicted.worker["kind"] == "local"
