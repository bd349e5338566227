"""Issue 14 items 6 and 7: what only the submitting machine has, proven on isolated workers.

6. A DoFn opens a file by a path of the submitting machine (BD114): the isolated workers, each
   in an empty folder as on a cluster, fail with the FileNotFoundError check predicts; the
   fixed variant (a side input) passes check and really computes the table's answers.
7. The script changes a module-level setting of its own shipped module while it builds the
   pipeline (BD206): the workers import the module afresh and the real run writes the
   module's defaults, as check says; the fixed variant (an argument) writes the right values.

The state_* examples ship their helper modules as a user would: check sees a project with a
setup.py (``--setup_file``), the isolated workers get the project's folder on their path.
Unit tests below pin the soundness rules of both detectors (what is never reported).
"""

from __future__ import annotations

import os
import pathlib
import random
import sys
import textwrap
from dataclasses import dataclass, field, replace
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from conftest import DILL_LIBRARY, HAS_DILL
from isolated import IsolatedRun, ParallelRuns, run_isolated
from support.golden import check_golden
from test_check_examples import BEAM_EXAMPLES, CLOUDPICKLE, EXAMPLES, helper_project

from beam_deps.check import check_script
from beam_deps.check.detectors.launch_state import launch_state_diagnostics
from beam_deps.check.detectors.local_files import local_file_diagnostics
from beam_deps.check.detectors.worker_code import payload_code

E = frozenset
MINE = ("BD114", "BD116", "BD206", "BD207")
HELPERS = ("state_jobconfig.py", "state_registry.py")


def _seeded_draws() -> tuple[str, ...]:
    """What state_launch_seed.py means to write: its two draws after random.seed(42)."""
    rng = random.Random(42)
    return tuple(sorted(f"{name}:{rng.randint(0, 10**9)}" for name in "ab"))


def _drawn_per_element() -> tuple[str, ...]:
    """What state_launch_seed_fixed.py writes on any worker: a generator per element."""
    return tuple(sorted(f"{n}:{random.Random(f'42:{n}').randint(0, 10**9)}" for n in "ab"))


@dataclass(frozen=True)
class Case:
    script: str
    errors: frozenset[str] = frozenset()
    fails_with: str | None = None  # what the real isolated run says; None: it runs
    output: tuple[str, ...] = ()  # the real run's sorted output lines
    args: tuple[str, ...] = ()
    shipped: bool = False  # the helper modules are shipped (setup.py / worker path)
    notes: tuple[str, ...] = field(default=())
    library: str = "cloudpickle"
    save_main_session: bool = False
    not_output: tuple[str, ...] = ()  # what a silently wrong run does not write
    reads_nothing: bool = False  # silently wrong: the run writes an empty output

    @property
    def id(self) -> str:
        stem = Path(self.script).stem
        ssm = "-save_main_session" if self.save_main_session else ""
        return stem if self.library == "cloudpickle" else f"{stem}-{self.library}{ssm}"


CASES = [
    # 6. a file of the submitting machine opened on the worker
    Case(
        "files_relative_path.py",
        E({"BD114"}),
        fails_with="No such file or directory: 'files_lookup.csv'",
    ),
    Case(
        "files_constructor_path.py",
        E({"BD114"}),
        fails_with="No such file or directory: 'files_lookup.csv'",
    ),
    Case(  # the script's --lookup, in the closure of a function built in run()
        "files_closure_path.py",
        E({"BD114"}),
        fails_with="No such file or directory: 'files_lookup.csv'",
    ),
    Case(  # the same path as an extra argument of the step: ParDo(Classify(), args.lookup)
        "files_argument_path.py",
        E({"BD114"}),
        fails_with="No such file or directory: 'files_lookup.csv'",
    ),
    Case(  # the path passed to the project's own file helper, which opens it (oppia)
        "files_helper_opener.py",
        E({"BD114"}),
        fails_with="No such file or directory: 'files_lookup.csv'",
    ),
    Case("files_relative_path_fixed.py", output=("cat=mammal", "emu=bird")),
    Case(  # m25b 21; check is told what the run does: workers started apart
        "files_source_relative.py",
        E({"BD114"}),
        reads_nothing=True,
        args=(
            "--runner=PortableRunner",
            "--environment_type=beam:env:harness_subprocess_python:v1",
        ),
    ),
    Case(
        "files_source_relative_fixed.py",
        output=("cat=mammal", "emu=bird"),
        args=(
            "--runner=PortableRunner",
            "--environment_type=beam:env:harness_subprocess_python:v1",
        ),
    ),
    # 7. module state set while the pipeline is built: silently the defaults on workers
    Case(
        "state_launch_setting.py",
        E({"BD206"}),
        output=("a@dev", "b@dev"),  # started with --env prod
        args=("--env", "prod"),
        shipped=True,
    ),
    Case(
        "state_launch_setting_fixed.py",
        output=("a@prod", "b@prod"),
        args=("--env", "prod"),
        shipped=True,
    ),
    Case(  # read by a function of the module that the step calls (state_jobconfig.bucket)
        "state_launch_helper.py",
        E({"BD206"}),
        output=("a@dev-bucket", "b@dev-bucket"),  # started with --env prod
        args=("--env", "prod"),
        shipped=True,
    ),
    Case(  # read through a local alias of the module's class (s = module.Settings)
        "state_launch_alias.py",
        E({"BD206"}),
        output=("a@eu", "b@eu"),  # started with --region us
        args=("--region", "us"),
        shipped=True,
    ),
    Case(
        "state_launch_registry.py",
        E({"BD206"}),
        output=("a", "b"),  # the script's 'upper' rule is never applied there
        shipped=True,
    ),
    # a library's process-wide setting changed at launch (BD207): the workers' defaults
    Case(
        "state_launch_decimal.py",
        E({"BD207"}),
        output=("0.3333333333333333333333333333", "0.6666666666666666666666666667"),
        args=("--precision", "4"),  # 4 digits here, 28 on the workers
    ),
    Case(
        "state_launch_decimal_fixed.py",
        output=("0.3333", "0.6667"),
        args=("--precision", "4"),
    ),
    Case("state_launch_numpy_print.py", E({"BD207"}), output=("[0.33333333 0.66666667]",)),
    Case("state_launch_numpy_clean.py", output=("1.5", "4.0")),  # computes only: not said
    # the interpreter's limits raised at launch (BD207): the workers keep the defaults
    Case(  # BD207 is a warning (how deep it recurses is the data's); the Create's 3000 runs
        # here with a worker's 1000 frames and raises: BD329 is the error
        "state_launch_recursion.py",
        E({"BD329"}),
        fails_with="RecursionError: maximum recursion depth exceeded",
    ),
    Case("state_launch_recursion_fixed.py", output=("3000:3000", "5:5")),
    # random.seed() at launch seeds this process's generator only (BD207)
    Case("state_launch_seed.py", E({"BD207"}), not_output=_seeded_draws()),
    Case("state_launch_seed_fixed.py", output=_drawn_per_element()),
    # a Beam metric updated on a thread the DoFn's pool runs (apache/beam#21217): dropped
    Case("state_thread_counter.py", E({"BD116"}), output=("seen=6",)),
    Case("state_thread_counter_fixed.py", output=("fetched=6", "seen=6")),
]


# The same cases with the dill this environment has (0.3.1.1 as `dill` in tox dill, the newest
# as `dill_unsafe` in tox dillnew): a file opened on the worker and a shipped module imported
# afresh do not depend on the pickler, and the real runs show it. With --save_main_session, as
# dill users run such scripts: without it the script's own imports (pathlib, state_jobconfig)
# are undefined on the worker under dill, a true BD201 that test_accuracy_dill.py proves.
DILL_CASES = [replace(c, library=DILL_LIBRARY, save_main_session=True) for c in CASES]
ALL_CASES = CASES + DILL_CASES


def _param(case: Case):
    marks = []
    if case.library != "cloudpickle":
        marks.append(pytest.mark.skipif(not HAS_DILL, reason="dill runs in the tox dill envs"))
    return pytest.param(case, id=case.id, marks=marks)


class Runs(ParallelRuns):
    """Each case's real isolated run; the cases of one pickler start together."""

    def batch(self, case: Case) -> list[Case]:
        return [c for c in self.cases if c.library == case.library]

    def args(self, case: Case) -> list[str]:
        ssm = ["--save_main_session"] if case.save_main_session else []
        return [
            str(self.out_dir(case) / "out.txt"),
            *case.args,
            f"--pickle_library={case.library}",
            *ssm,
        ]

    def run(self, case: Case) -> IsolatedRun:
        out = self.out_dir(case)
        shipped = [helper_project(self.root, HELPERS, "state-helpers")] if case.shipped else []
        return run_isolated(
            EXAMPLES / case.script, self.args(case), pythonpath=shipped, workdir=out / "work"
        )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    runs = Runs(tmp_path_factory.mktemp("state"), ALL_CASES if HAS_DILL else CASES)
    yield runs
    runs.close()


def _check(case: Case, runs: Runs, monkeypatch) -> list:
    monkeypatch.chdir(EXAMPLES)  # as `python files_relative_path.py` is started there
    argv = runs.args(case)
    if case.shipped:
        monkeypatch.setenv("BEAM_DEPS_CACHE_DIR", str(runs.root / "cache"))  # its wheel
        project = helper_project(runs.root, HELPERS, "state-helpers")
        argv += ["--setup_file", str(project / "setup.py")]
    return check_script(EXAMPLES / case.script, argv=argv)


@pytest.mark.slow
@pytest.mark.parametrize("case", [_param(c) for c in ALL_CASES])
def test_check_predicts_the_real_run(case, runs, monkeypatch):
    report = _check(case, runs, monkeypatch)
    assert {d.code for d in report.errors} == case.errors, report.diagnostics
    for d in report.diagnostics:
        if d.code in case.errors:
            assert d.transform and d.path and d.fix and d.line, d
            assert d.file in (str(EXAMPLES / case.script), *(str(EXAMPLES / h) for h in HELPERS))
    if case.fails_with:  # check says what the worker will say (an error, or a warning)
        assert any(case.fails_with in d.message for d in report.diagnostics), report.diagnostics

    run = runs.assert_real_run(case, case.output if case.output else None)
    if case.reads_nothing:  # silently wrong: the job succeeds, its input read as empty
        assert run.ok and (runs.out_dir(case) / "out.txt").read_text() == "", run
    if case.not_output:  # silently wrong: the run wrote something, not what was meant
        text = (runs.out_dir(case) / "out.txt").read_text()
        written = tuple(sorted(filter(None, text.split("\n"))))
        assert len(written) == len(case.not_output) and written != case.not_output, run


def test_the_state_predicted_is_the_state_the_workers_read(runs, monkeypatch):
    """BD206 names the worker's value, and the real run wrote exactly that value."""
    (case,) = [c for c in CASES if c.script == "state_launch_setting.py"]
    report = _check(case, runs, monkeypatch)
    (found,) = [d for d in report.errors if d.code == "BD206"]
    assert "'prod' here" in found.message and "sees 'dev'" in found.message
    assert found.extra["name"] == "state_jobconfig.ENV"


def _first(script: str, code: str, args: tuple[str, ...] = ()) -> str:
    report = check_script(EXAMPLES / script, argv=["{out}/out.txt", *args, *CLOUDPICKLE])
    (found,) = [d for d in report.diagnostics if d.code == code]
    return (
        f"{Path(found.file).name}:{found.line}: {found.code} [{found.severity.value}] "
        f"{found.message}\n"
    )


def test_errors_page_messages(monkeypatch):
    monkeypatch.chdir(EXAMPLES)
    local_file = _first("files_relative_path.py", "BD114")
    launch_state = _first("state_launch_setting.py", "BD206", ("--env", "prod"))
    launch_setting = _first("state_launch_decimal.py", "BD207", ("--precision", "4"))
    check_golden("check_local_file", local_file)
    check_golden("check_launch_state", launch_state)
    check_golden("check_launch_setting", launch_setting)
    check_golden("check_launch_recursion", _first("state_launch_recursion.py", "BD207"))
    check_golden("check_launch_seed", _first("state_launch_seed.py", "BD207"))
    check_golden("check_thread_counter", _first("state_thread_counter.py", "BD116"))
    source = next(c.args for c in CASES if c.script == "files_source_relative.py")
    check_golden("check_source_relative", _first("files_source_relative.py", "BD114", source))


def test_check_puts_back_the_library_settings_the_script_changed():
    """The script runs in the checking process: what it sets (a notebook's decimal context,
    numpy's print options) is put back, and the next check starts from the same defaults."""
    import decimal

    import numpy as np

    before = (decimal.getcontext().prec, np.get_printoptions()["precision"])
    for _ in range(2):  # the second check still sees the change: nothing leaked
        report = check_script(
            EXAMPLES / "state_launch_decimal.py",
            argv=["{out}/out.txt", "--precision", "4", *CLOUDPICKLE],
        )
        assert "BD207" in {d.code for d in report.diagnostics}
        report = check_script(
            EXAMPLES / "state_launch_numpy_print.py", argv=["{out}/out.txt", *CLOUDPICKLE]
        )
        assert "BD207" in {d.code for d in report.diagnostics}
    assert (decimal.getcontext().prec, np.get_printoptions()["precision"]) == before


@pytest.mark.parametrize(
    "script",
    [
        "clean_basic.py",
        "clean_self_contained.py",
        "clean_script_classes.py",
        "clean_script_keys.py",
        "pitfall_module_state.py",
        "several_pipelines.py",
    ],
)
def test_no_finding_on_clean_examples(script, tmp_path, monkeypatch):
    monkeypatch.chdir(EXAMPLES)
    args = ["--output", f"{tmp_path}/t.txt"] if script == "clean_basic.py" else [f"{tmp_path}/o"]
    report = check_script(EXAMPLES / script, argv=args + CLOUDPICKLE)
    assert not {d.code for d in report.diagnostics} & set(MINE), report.diagnostics


def test_a_relative_input_is_claimed_only_where_workers_start_apart(tmp_path, monkeypatch):
    """ReadFromText("files_lookup.csv"): the DirectRunner reads it in this folder (it works);
    workers started as processes of their own read nothing (files_source_relative.py)."""
    monkeypatch.chdir(EXAMPLES)
    script = EXAMPLES / "files_source_relative.py"
    here = check_script(script, argv=[f"{tmp_path}/o", *CLOUDPICKLE])
    assert "BD114" not in {d.code for d in here.diagnostics}, here.diagnostics
    apart = ["--runner=PortableRunner", "--environment_type=beam:env:harness_subprocess_python:v1"]
    report = check_script(script, argv=[f"{tmp_path}/o", *apart, *CLOUDPICKLE])
    (found,) = [d for d in report.errors if d.code == "BD114"]
    assert "files_lookup.csv'" in found.message and "empty results" in found.message


@pytest.mark.parametrize("script, args", BEAM_EXAMPLES, ids=[s for s, _ in BEAM_EXAMPLES])
def test_no_finding_on_beams_examples(script, args, tmp_path, monkeypatch):
    """wordcount and friends open --input while the pipeline is built: not a worker open."""
    monkeypatch.chdir(tmp_path)
    text = tmp_path / "kinglear.txt"
    text.write_text("the cat sat on the mat\nthe dog ate the cat\n")
    argv = [a.replace("{in}", "kinglear.txt").replace("{out}", str(tmp_path)) for a in args]
    report = check_script(EXAMPLES / "beam" / script, argv=argv + CLOUDPICKLE)
    assert not {d.code for d in report.diagnostics} & set(MINE), report.diagnostics


# ---------------------------------------------------------------------------- unit: BD114


@dataclass
class FakePayload:
    """What the detectors read of a payload (``pipeline.payloads.Payload``)."""

    obj: object
    name: str = "Fn"
    kind: str = "dofn"
    duplicate_of: int | None = None
    transform: str = "Fn"
    user_transform: str | None = None
    file: str | None = None
    line: int | None = None


def _bd114(fn, *argv: str) -> list:
    options = PipelineOptions(list(argv))
    return local_file_diagnostics(payload_code([FakePayload((fn, (), {}, [], None))]), options)


class OpensInInit(beam.DoFn):
    def __init__(self):
        with open("files_lookup.csv") as handle:  # runs where the pipeline is built
            self.text = handle.read()

    def process(self, x):
        yield x


class Writes(beam.DoFn):
    def setup(self):
        self.out = open("files_lookup.csv", "a")  # noqa: SIM115 - creates, never fails

    def process(self, x):
        yield x


class Remote(beam.DoFn):
    def setup(self):
        with open("gs://bucket/files_lookup.csv") as handle:
            self.text = handle.read()

    def process(self, x):
        yield x


class Missing(beam.DoFn):
    def setup(self):
        with open("no_such_file_here.csv") as handle:  # fails everywhere: not ours to say
            self.text = handle.read()


class FromParameter(beam.DoFn):
    def process(self, path):
        with open(path) as handle:  # the value comes with the element: not in the payload
            yield handle.read()


class PandasInSetup(beam.DoFn):
    def __init__(self, folder):
        self.folder = folder

    def setup(self):
        import pandas as pd

        self.table = pd.read_csv(os.path.join(self.folder, "files_lookup.csv"))

    def process(self, x):
        yield x


class ViaHelper(beam.DoFn):
    def setup(self):
        self.text = self._load()

    def _load(self):
        return pathlib.Path("files_lookup.csv").read_bytes()


class Absolute(beam.DoFn):
    def __init__(self, path):
        self.path = path

    def setup(self):
        with open(self.path, encoding="utf-8") as handle:
            self.text = handle.read()


LOOKUP = "files_lookup.csv"


def open_file(filename, mode, encoding="utf-8"):
    return open(filename, mode, encoding=encoding)  # noqa: SIM115 - the caller closes it


class ViaOpener(beam.DoFn):
    def process(self, x):
        with open_file(LOOKUP, "r") as handle:  # the path passed to the user's opener
            yield handle.read()


class WritesViaOpener(beam.DoFn):
    def process(self, x):
        with open_file(LOOKUP, "a") as handle:  # writes: creates it where it runs
            handle.write(x)
        yield x


def test_a_path_passed_to_the_users_opener(monkeypatch):
    monkeypatch.chdir(EXAMPLES)
    (found,) = _bd114(ViaOpener())
    assert "opens it with open_file() (which calls open())" in found.message
    assert found.line == ViaOpener.process.__code__.co_firstlineno + 1
    assert _bd114(WritesViaOpener()) == []


def test_only_worker_side_reads_of_local_files(monkeypatch):
    monkeypatch.chdir(EXAMPLES)
    for quiet in (OpensInInit(), Writes(), Remote(), Missing(), FromParameter()):
        assert _bd114(quiet) == [], type(quiet).__name__
    (found,) = _bd114(PandasInSetup("."))
    assert "pandas.read_csv()" in found.message and found.severity.value == "error"
    (found,) = _bd114(ViaHelper())  # setup() calls self._load(): followed
    assert "ViaHelper._load opens it with Path.read_bytes()" in found.message


def test_a_function_given_to_map_is_worker_code(monkeypatch):
    monkeypatch.chdir(EXAMPLES)

    def lookup(word):
        with open("files_lookup.csv") as handle:
            return word in handle.read()

    wrapped = beam.Map(lookup).fn  # Beam's CallableWrapperDoFn around the user's function
    (found,) = _bd114(wrapped)
    assert found.path.endswith("lookup") and found.severity.value == "error"


def test_absolute_paths_per_runner(tmp_path):
    """A file of this machine: a warning where workers are local processes, an error where
    the runner starts them elsewhere; the interpreter's own files are on every worker."""
    data = tmp_path / "table.csv"
    data.write_text("a,b\n")
    (local,) = _bd114(Absolute(str(data)))
    assert local.severity.value == "warning" and "works only while" in local.message
    (remote,) = _bd114(Absolute(str(data)), "--runner=PortableRunner", "--environment_type=DOCKER")
    assert remote.severity.value == "error" and "other machines" in remote.message
    assert _bd114(Absolute(os.__file__)) == []  # the standard library ships with Python
    assert _bd114(Absolute(beam.__file__)) == []  # an installed package's file


# ---------------------------------------------------------------------------- unit: BD206


@pytest.fixture()
def local_module(tmp_path, monkeypatch):
    """Write a module in a folder on sys.path (a user's own module), import it fresh."""
    made: list[str] = []

    def make(name: str, source: str):
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        monkeypatch.syspath_prepend(str(tmp_path))
        made.append(name)
        __import__(name)
        return sys.modules[name]

    yield make
    for name in made:
        sys.modules.pop(name, None)


def _bd206(fn) -> list:
    return launch_state_diagnostics(payload_code([FakePayload((fn, (), {}, [], None))]), None)


def test_class_attribute_and_missing_attribute_set_at_launch(local_module):
    mod = local_module(
        "bd206_settings",
        """
        import apache_beam as beam

        class Limits:
            top = 3

        class Keep(beam.DoFn):
            def process(self, x):
                if x < Limits.top and x != getattr(self, "skip", None):
                    yield x, self.extra_limit
        """,
    )
    mod.Limits.top = 10  # at launch: the worker's fresh class says 3
    mod.Keep.extra_limit = 7  # added at launch: not there on the worker
    found = {d.extra["name"]: d for d in _bd206(mod.Keep())}
    assert set(found) == {"bd206_settings.Limits.top", "bd206_settings.Keep.extra_limit"}
    assert "10 here" in found["bd206_settings.Limits.top"].message
    assert "sees 3" in found["bd206_settings.Limits.top"].message
    assert "AttributeError" in found["bd206_settings.Keep.extra_limit"].message


def test_no_finding_for_state_the_same_on_workers(local_module):
    mod = local_module(
        "bd206_quiet",
        """
        import logging, os, time
        import apache_beam as beam

        STARTED = time.time()   # differs in every process: never a finding
        PID = os.getpid()
        LOG = logging.getLogger(__name__)
        TABLE = {"a": 1}        # filled at import: the worker fills it too
        TABLE["b"] = 2
        _MODEL = None

        class Client:
            def __init__(self):
                self.conn = None

            def fetch(self, x):
                if self.conn is None:
                    self.conn = object()  # connects lazily, on each worker
                return x

        CLIENT = Client()

        def model():
            global _MODEL       # a per-worker cache the worker code fills itself
            if _MODEL is None:
                _MODEL = {"loaded": True}
            return _MODEL

        class Quiet(beam.DoFn):
            def __init__(self):
                self.factor = 2  # instance state travels by value

            def process(self, x):
                LOG.info("%s %s %s", STARTED, PID, model())
                yield CLIENT.fetch(TABLE.get(x, 0) * self.factor)
        """,
    )
    mod.model()  # the script warmed the cache while building the pipeline
    mod.CLIENT.fetch(1)  # and connected the module's client
    logging_root = __import__("logging").getLogger()
    logging_root.setLevel("DEBUG")  # the script configured logging: a library's state
    assert _bd206(mod.Quiet()) == []


def test_a_script_function_reading_a_module_it_holds(local_module):
    mod = local_module("bd206_conf", "ENV = 'dev'\n")

    def tag(word):
        return f"{word}@{mod.ENV}"

    assert _bd206(tag) == []  # unchanged: same on the worker
    mod.ENV = "prod"
    (found,) = _bd206(tag)
    assert found.extra["name"] == "bd206_conf.ENV" and found.severity.value == "error"
