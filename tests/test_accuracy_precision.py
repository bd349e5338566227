"""Precision (issue 14, items 11-13): no error or warning where the user has nothing to fix,
and paths that point at what the user can change. Each example is checked here and run for
real on isolated workers (tests/isolated.py), so what check says is what workers do."""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import sys
import sysconfig
from pathlib import Path

import apache_beam as beam
import pytest
from isolated import RUNS_AT_ONCE, IsolatedRun, run_isolated

import beam_deps
from beam_deps.check import check_script
from beam_deps.pickling.analysis import analyse

EXAMPLES = Path(__file__).parent / "examples"
CLOUDPICKLE = ["--pickle_library=cloudpickle"]

CLIENT_SOURCE = """\
import hashlib


class Client:
    def __init__(self, name):
        self.name = name
        self._conn = hashlib.sha256(name.encode())  # cannot be pickled

    def lookup(self, x):
        return self.name
"""


def install_package(site: Path, name: str, *, from_folder: Path | None) -> Path:
    """``name`` installed into ``site`` (a site-packages folder) as pip installs it: from a
    local project folder (PEP 610 ``direct_url.json`` with ``dir_info``) when
    ``from_folder`` is given, else as from an index."""
    (site / name).mkdir(parents=True)
    (site / name / "__init__.py").write_text(CLIENT_SOURCE)
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "top_level.txt").write_text(f"{name}\n")
    (info / "INSTALLER").write_text("pip\n")
    if from_folder is not None:
        url = {"url": from_folder.as_uri(), "dir_info": {}}
        (info / "direct_url.json").write_text(json.dumps(url))
    (info / "RECORD").write_text(f"{name}/__init__.py,,\n{info.name}/RECORD,,\n")
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """``ownclient`` (the user's project, ``pip install .``) and ``vendorclient`` (the same
    code from an index: a third-party library), both in a site-packages folder."""
    root = tmp_path_factory.mktemp("precision")
    folder = root / "site-packages"
    folder.mkdir()
    install_package(folder, "ownclient", from_folder=root / "project")
    install_package(folder, "vendorclient", from_folder=None)
    return folder


# ------------------------------------------------------------------------------- item 11
def test_path_goes_down_into_an_object_of_the_users_own_installed_project(site, monkeypatch):
    monkeypatch.syspath_prepend(str(site))
    from ownclient import Client

    class EnrichFn(beam.DoFn):
        def __init__(self):
            self.client = Client("lookup")

        def process(self, x):
            yield x

    (error,) = beam_deps.check_object(EnrichFn()).errors
    assert error.code == "BD101" and error.path.endswith("<locals>.EnrichFn.client._conn")
    assert "hashlib.HASH" in error.message


def test_a_third_party_object_is_still_reported_once_as_a_whole(site, monkeypatch):
    monkeypatch.syspath_prepend(str(site))
    from vendorclient import Client

    class EnrichFn(beam.DoFn):
        def __init__(self):
            self.client = Client("lookup")

        def process(self, x):
            yield x

    (error,) = beam_deps.check_object(EnrichFn()).errors
    assert error.code == "BD101" and error.path.endswith("<locals>.EnrichFn.client")
    assert "inside it, ._conn is a hashlib.HASH" in error.message


def test_script_with_the_users_own_client_points_at_the_part(site, monkeypatch):
    monkeypatch.syspath_prepend(str(site))
    report = check_script(EXAMPLES / "precision_own_client.py", argv=CLOUDPICKLE)
    bd101 = [d for d in report.errors if d.code == "BD101"]
    assert [d.path for d in bd101] == ["EnrichFn.client._conn"], report.diagnostics
    source = (EXAMPLES / "precision_own_client.py").read_text().splitlines()
    assert "self.client = Client(" in source[bd101[0].line - 1]
    # ownclient is the user's project installed here, not staged: the worker lacks it
    assert {d.code for d in report.errors} <= {"BD101", "BD401"}


# ------------------------------------------------------------------------------- item 12
def test_the_interpreters_own_modules_are_never_local_code():
    from beam_deps.staging.imports import interpreter_modules, is_stdlib

    name = sysconfig._get_sysconfigdata_name()  # what sysconfig imports for pandas
    assert name not in sys.stdlib_module_names
    assert name in interpreter_modules()
    assert is_stdlib(name) and is_stdlib(f"{name}.x")
    assert not interpreter_modules() & {"pandas", "apache_beam", "beam_deps", "numpy"}
    assert not is_stdlib("localhelpers")


def test_staged_pandas_leaves_no_error(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pandas\n")
    # a worker without pandas (a local worker has it: it is apache-beam's dataframe extra)
    freeze = tmp_path / "worker-freeze.txt"
    freeze.write_text(f"apache-beam=={beam.__version__}\n")
    argv = ["--output", str(tmp_path / "out"), *CLOUDPICKLE]
    script = EXAMPLES / "precision_pandas_staged.py"
    unstaged = check_script(script, argv=argv, worker_requirements=freeze)
    assert {(d.code, d.extra.get("module")) for d in unstaged.errors} == {("BD401", "pandas")}
    staged = check_script(
        script,
        argv=[*argv, "--requirements_file", str(requirements)],
        worker_requirements=freeze,
    )
    assert staged.ok, staged.errors


# ------------------------------------------------------------------------------- item 13
def test_side_inputs_given_to_beams_own_transforms_are_not_captures(tmp_path):
    report = check_script(
        EXAMPLES / "precision_side_inputs.py", argv=["--output", str(tmp_path / "o"), *CLOUDPICKLE]
    )
    assert report.ok, report.errors
    assert not [d for d in report.diagnostics if d.code == "BD111"], report.diagnostics


def test_a_side_input_wrapper_captured_by_the_users_code_is_still_reported():
    pipeline = beam.Pipeline()
    scale = beam.pvalue.AsSingleton(pipeline | beam.Create([10]))

    def times(x):
        return x * scale  # the wrapper, not its value: a placeholder on the worker

    found = [d for d in analyse(times).report.diagnostics if d.code == "BD111"]
    assert [d.path for d in found] == ["times closure 'scale'.pvalue"]


def test_a_user_dofn_holding_a_side_input_wrapper_is_still_reported():
    pipeline = beam.Pipeline()

    class Holder(beam.DoFn):
        def __init__(self):
            self.side = beam.pvalue.AsList(pipeline | beam.Create([1]))

        def process(self, x):
            yield x

    found = [d for d in analyse(Holder()).report.diagnostics if d.code == "BD111"]
    assert [d.path.rsplit(".", 3)[-3:] for d in found] == [["Holder", "side", "pvalue"]]


# ---------------------------------------------------------------------- real isolated runs
class Runs:
    """The examples' real runs on isolated workers, started together, RUNS_AT_ONCE at a time."""

    def __init__(self, root: Path, site: Path) -> None:
        self.root = root
        self.requirements = root / "requirements.txt"
        self.requirements.write_text("pandas\n")
        pandas_args = ["--requirements_file", str(self.requirements), "--requirements_cache=skip"]
        self.specs = {
            "precision_side_inputs.py": ([], ()),
            "precision_pandas_staged.py": (pandas_args, ()),
            "precision_own_client.py": ([], (site,)),
        }
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=RUNS_AT_ONCE)
        self.pool = pool
        self.futures = {name: pool.submit(self._run, name) for name in self.specs}

    def out(self, name: str) -> Path:
        return self.root / Path(name).stem

    def _run(self, name: str) -> IsolatedRun:
        args, submit_path = self.specs[name]
        out = self.out(name)
        out.mkdir(parents=True, exist_ok=True)
        output = [] if name == "precision_own_client.py" else ["--output", str(out / "result")]
        return run_isolated(
            EXAMPLES / name,
            [*output, *args, *CLOUDPICKLE],
            submit_pythonpath=submit_path,
            workdir=out / "work",
        )

    def get(self, name: str) -> IsolatedRun:
        return self.futures[name].result()


@pytest.fixture(scope="module")
def runs(tmp_path_factory, site):
    runs = Runs(tmp_path_factory.mktemp("precision_runs"), site)
    yield runs
    runs.pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.slow
def test_side_inputs_example_really_runs(runs):
    run = runs.get("precision_side_inputs.py")
    assert run.ok, run
    lines = (runs.out("precision_side_inputs.py") / "result").read_text().splitlines()
    results = sorted(tuple(json.loads(line)) for line in lines)
    # total(values) = max(values, 10 + len({"a": 1}) + sum([5])): the side inputs arrived
    assert [r for r in results if r[0] != "tag"] == [("global", 16), ("key0", 16), ("key1", 16)]
    assert sorted(r[1] for r in results if r[0] == "tag") == ["n-6", "n-7", "n-8"]


@pytest.mark.slow
def test_pandas_example_really_runs_with_pandas_staged(runs):
    run = runs.get("precision_pandas_staged.py")
    assert run.ok, run
    assert (runs.out("precision_pandas_staged.py") / "result").read_text().strip() == "12"


@pytest.mark.slow
def test_own_client_example_really_fails_on_the_part_check_names(runs):
    run = runs.get("precision_own_client.py")
    assert not run.ok, run
    output = run.output
    assert "Unable to pickle fn" in output and "_hashlib.HASH" in output, run


def test_hashlib_objects_do_not_pickle():
    """The premise of the own-client example, on this Python."""
    with pytest.raises(TypeError):
        __import__("pickle").dumps(hashlib.sha256())
