"""Proof that `beam-deps check` predicts what really happens on workers.

For every example in tests/examples: check it, then run the real pipeline on ISOLATED
worker processes (tests/isolated.py: workers in an empty folder, without the script's
folder, PYTHONPATH or __main__) and show it fails exactly as predicted, or runs when check
found no error. Each real run happens once per session, several in parallel.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import HAS_DILL
from isolated import IsolatedRun, ParallelRuns, run_isolated
from support.dists import install_fake_dist

from beam_deps.beam import profile
from beam_deps.check import check_script

EXAMPLES = Path(__file__).parent / "examples"


@dataclass(frozen=True)
class Example:
    script: str
    errors: frozenset[str] = frozenset()  # the exact set of error codes check must report
    warnings: frozenset[str] = frozenset()  # warning codes that must be among the findings
    fails_with: str | None = None  # what the real run on isolated workers says; None: runs
    library: str = "cloudpickle"
    save_main_session: bool = False
    args: tuple[str, ...] = ()
    needs_tinydist: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        ssm = "-save_main_session" if self.save_main_session else ""
        return f"{Path(self.script).stem}-{self.library}{ssm}"

    def pipeline_args(self, out: Path) -> list[str]:
        args = [a.replace("{out}", str(out)) for a in self.args]
        args.append(f"--pickle_library={self.library}")
        if self.save_main_session:
            args.append("--save_main_session")
        return args


E = frozenset
# Beam 2.61-2.64 have no Lock reducer: a captured threading.Lock fails to pickle (BD101)
LOCKED = E() if profile().lock_reducer else E({"BD101"})
# Beam up to 2.67 writes a grouping key's class with plain dill: script classes fail as keys
DILL_KEYS = E({"BD302"}) if profile().key_classes_by_dill else E()
# Tests that check a script without --pickle_library mean Beam's default from 2.65 on.
CLOUDPICKLE = ["--pickle_library=cloudpickle"]
EXAMPLES_TABLE = [
    Example("clean_basic.py", args=("--output", "{out}/total.txt")),
    Example(
        "clean_basic.py",
        save_main_session=True,
        args=("--output", "{out}/total.txt"),
    ),
    Example("clean_self_contained.py", args=("{out}/records.txt",)),
    Example("clean_script_classes.py", args=("{out}/sums.txt",)),
    Example(
        "clean_script_keys.py",
        DILL_KEYS,
        args=("{out}/keys.txt",),
        fails_with="RecursionError" if DILL_KEYS else None,
    ),
    Example(
        "clean_script_classes.py",
        save_main_session=True,
        args=("{out}/sums.txt",),
    ),
    Example("pitfall_local_module.py", E({"BD402"}), fails_with="No module named 'localhelpers'"),
    Example("pitfall_main_class.py", E({"BD302"}), fails_with="Can't get attribute 'Point'"),
    Example(
        "pitfall_main_class.py",
        E({"BD302"}),
        E({"BD203"}),
        fails_with="Can't get attribute 'Point'",
        save_main_session=True,
    ),
    Example(
        "pitfall_class_across_shuffle.py",
        E({"BD302"}),
        fails_with="Can't pickle <class '__main__.Point'>: attribute lookup Point on __main__",
    ),
    Example(
        "pitfall_combine_accumulator.py",
        E({"BD302"}),
        fails_with="Can't pickle <class '__main__.MeanAcc'>: attribute lookup MeanAcc on __main__",
    ),
    Example(
        "pitfall_missing_module.py",
        E({"BD403"}),
        fails_with="No module named 'beam_deps_no_such_module'",
    ),
    Example(
        "pitfall_not_on_worker.py",
        E({"BD401"}),
        fails_with="No module named 'tinydist'",
        needs_tinydist=True,
    ),
    Example("pitfall_module_state.py", E({"BD205"})),
    Example("pitfall_class_state.py", E({"BD205"})),  # a list held by a class (oppia)
    Example(
        "pitfall_pcollection_in_dofn.py",
        E({"BD111"}),
        fails_with="'_InvalidUnpickledPCollection' object is not iterable",
        args=("{out}/out.txt",),
    ),
    Example("pitfall_pcollection_in_dofn_fixed.py", args=("{out}/out.txt",)),
    Example(  # a lambda's closure variable, read there (m22 v30)
        "pitfall_pcollection_in_lambda.py",
        E({"BD111"}),
        fails_with="argument of type '_InvalidUnpickledPCollection' is not iterable",
        args=("{out}/out.txt",),
    ),
    Example("pitfall_pcollection_in_lambda_fixed.py", args=("{out}/out.txt",)),
    Example(
        "pitfall_unpicklable.py",
        E({"BD106"}) | LOCKED,
        E() if LOCKED else E({"BD104"}),
        # Beam wraps the error only from 2.70 (pickler.roundtrip); before, the TypeError itself
        fails_with="Unable to pickle fn" if profile().has_roundtrip else "cannot pickle",
    ),
    # dill: run in the tox `dill` env (apache-beam[dill], dill 0.3.1.1)
    Example(
        "pitfall_dill_globals.py",
        E({"BD201"}),
        E({"BD202"}) if profile().minor >= 69 else E(),  # as in test_probe's dill test
        fails_with="name 'FACTOR' is not defined",
        library="dill",
    ),
    Example("pitfall_dill_globals.py", library="dill", save_main_session=True),
    Example("clean_self_contained.py", library="dill", args=("{out}/records.txt",)),
    Example(
        "clean_self_contained.py",
        library="dill",
        save_main_session=True,
        args=("{out}/records.txt",),
    ),
    Example(  # dill's main session re-creates Point before Beam encodes the Create values
        "pitfall_main_class.py",
        E({"BD303"}),
        fails_with="it's not the same object as __main__.Point",
        library="dill",
        save_main_session=True,
    ),
]


def _param(example: Example):
    marks = []
    if example.library == "dill":
        marks.append(pytest.mark.skipif(not HAS_DILL, reason="dill runs in the tox 'dill' env"))
    return pytest.param(example, id=example.id, marks=marks)


PARAMS = [_param(e) for e in EXAMPLES_TABLE]


@pytest.fixture(scope="module")
def tinydist(tmp_path_factory) -> Path:
    """A real installed distribution (package + dist-info) in its own sys.path entry: it is
    installed for the submitting process only, never on the workers."""
    root = tmp_path_factory.mktemp("site")
    return install_fake_dist(root, "tinydist", "def double(x):\n    return 2 * x\n")


def helper_project(root: Path, helpers: Sequence[str], name: str) -> Path:
    """Helper modules of tests/examples as a project a user would ship (a setup.py beside
    them): check reads it as ``--setup_file``, the isolated workers get it on their path."""
    project = root / "project"
    if not project.exists():
        project.mkdir(parents=True)
        for helper in helpers:
            shutil.copy(EXAMPLES / helper, project / helper)
        modules = ", ".join(repr(Path(h).stem) for h in helpers)
        (project / "setup.py").write_text(
            f"from setuptools import setup\nsetup(name={name!r}, py_modules=[{modules}])\n"
        )
    return project


class ExampleRuns(ParallelRuns):
    """Real isolated runs of tests/examples scripts (shared by the accuracy test files): each
    example runs with its own pipeline arguments in a work folder of its own; the examples
    of one pickler start together."""

    def batch(self, example: Example) -> list[Example]:
        return [e for e in self.cases if e.library == example.library]

    def run(self, example: Example) -> IsolatedRun:
        out = self.out_dir(example)
        return run_isolated(
            EXAMPLES / example.script, example.pipeline_args(out), workdir=out / "work"
        )


class RealRuns(ExampleRuns):
    """This file's runs: ``tinydist`` is on the submitter's path only, where asked."""

    def __init__(self, tmp_root: Path, tinydist: Path) -> None:
        super().__init__(tmp_root, EXAMPLES_TABLE)
        self.tinydist = tinydist

    def run(self, example: Example) -> IsolatedRun:
        out = self.out_dir(example)
        return run_isolated(
            EXAMPLES / example.script,
            example.pipeline_args(out),
            submit_pythonpath=[self.tinydist] if example.needs_tinydist else (),
            workdir=out / "work",
        )


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory, tinydist):
    runs = RealRuns(tmp_path_factory.mktemp("isolated"), tinydist)
    yield runs
    runs.close()


@pytest.mark.slow
@pytest.mark.parametrize("example", PARAMS)
def test_check_predicts_the_real_run(example, real_runs, tinydist, monkeypatch):
    if example.needs_tinydist:
        monkeypatch.syspath_prepend(str(tinydist))
    report = check_script(
        EXAMPLES / example.script, argv=example.pipeline_args(real_runs.out_dir(example))
    )
    errors = {d.code for d in report.errors}
    codes = {d.code for d in report.diagnostics}
    assert errors == example.errors, report.diagnostics
    assert example.warnings <= codes, report.diagnostics
    for d in report.errors:
        assert d.file == str(EXAMPLES / example.script) and d.line, d
        assert d.transform, d

    real_runs.assert_real_run(example)


def test_clean_pipeline_really_computed_its_result(real_runs):
    example = EXAMPLES_TABLE[0]
    assert real_runs.get(example).ok
    total = (real_runs.out_dir(example) / "total.txt").read_text().strip()
    assert json.loads(total) == {"total": 40}


def test_script_classes_really_crossed_the_shuffle(real_runs):
    example = next(e for e in EXAMPLES_TABLE if e.script == "clean_script_classes.py")
    assert real_runs.get(example).ok
    sums = (real_runs.out_dir(example) / "sums.txt").read_text().split("\n")
    assert sorted(filter(None, sums)) == ["a 4", "b 2"]


def test_script_classes_as_keys_really_grouped(real_runs):
    example = next(e for e in EXAMPLES_TABLE if e.script == "clean_script_keys.py")
    assert real_runs.get(example).ok == (not DILL_KEYS)  # Beam <= 2.67: fails, as check says
    if DILL_KEYS:
        return
    lines = (real_runs.out_dir(example) / "keys.txt").read_text().split("\n")
    assert sorted(filter(None, lines)) == ["1-1=12", "blue=1", "fr/paris=12", "red=1"]


def test_module_state_stays_empty_in_the_submitting_program(real_runs):
    example = next(e for e in EXAMPLES_TABLE if e.script == "pitfall_module_state.py")
    run = real_runs.get(example)
    assert run.ok and "SEEN has 0 items" in run.stdout, run
    example = next(e for e in EXAMPLES_TABLE if e.script == "pitfall_class_state.py")
    run = real_runs.get(example)
    assert run.ok and "invalid has 0 items" in run.stdout, run  # 2 in one process


def test_findings_name_the_transform_the_line_and_the_path():
    report = check_script(EXAMPLES / "pitfall_unpicklable.py", argv=CLOUDPICKLE)
    source = (EXAMPLES / "pitfall_unpicklable.py").read_text().splitlines()
    by_transform = {d.transform: d for d in report.diagnostics}
    enrich, rows, guarded = (
        by_transform["Enrich"],
        by_transform["ReadRows"],
        by_transform["Guarded"],
    )
    assert (enrich.code, enrich.path) == ("BD106", "Enrich.conn")
    assert (rows.code, rows.path) == ("BD106", "RowsSource.conn")  # the source, not a lambda
    sink = by_transform["SaveRows"]  # once, as itself, not once per Beam Write step
    assert (sink.code, sink.path) == ("BD106", "RowsSink.conn")
    assert [d.transform for d in report.errors].count("SaveRows") == 1
    assert guarded.code == ("BD101" if LOCKED else "BD104")
    assert guarded.path.startswith("<lambda> global 'guard'")
    assert "Guarded" in source[guarded.line - 1]
    assert "ReadRows" in source[int(rows.extra["applied_at"].rsplit(":", 1)[1]) - 1]


def test_several_pipelines_are_all_checked():
    report = check_script(EXAMPLES / "several_pipelines.py")
    assert {d.transform for d in report.diagnostics if d.code == "BD205"} == {
        "AddFirst",
        "AddSecond",
        "AddThird",
    }


BEAM_EXAMPLES = [
    ("wordcount.py", ["--input", "{in}", "--output", "{out}/counts"]),
    ("wordcount_minimal.py", ["--input", "{in}", "--output", "{out}/counts"]),
    ("multiple_output_pardo.py", ["--input", "{in}", "--output", "{out}/words"]),
    ("estimate_pi.py", ["--output", "{out}/pi"]),
    ("tfidf.py", ["--uris", "{in}", "--output", "{out}/tfidf"]),
    ("juliaset.py", ["--coordinate_output", "{out}/julia", "--grid_size", "10"]),
]


@pytest.mark.parametrize("script, args", BEAM_EXAMPLES, ids=[s for s, _ in BEAM_EXAMPLES])
def test_beams_own_examples_have_no_error(script, args, tmp_path):
    text = tmp_path / "kinglear.txt"
    text.write_text("the cat sat on the mat\nthe dog ate the cat\n")
    argv = [a.replace("{in}", str(text)).replace("{out}", str(tmp_path)) for a in args]
    report = check_script(EXAMPLES / "beam" / script, argv=argv + CLOUDPICKLE)
    assert report.ok, report.errors
    assert not [d for d in report.diagnostics if d.code == "BD001"]


def test_staged_requirements_and_local_code_satisfy_the_worker(tmp_path, tinydist, monkeypatch):
    """What the pipeline's own options ship is on the simulated worker; nothing else is."""
    monkeypatch.syspath_prepend(str(tinydist))
    monkeypatch.setenv("BEAM_DEPS_CACHE_DIR", str(tmp_path / "cache"))  # --setup_file's wheel
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("tinydist==1.0\n")
    report = check_script(
        EXAMPLES / "pitfall_not_on_worker.py", argv=["--requirements_file", str(requirements)]
    )
    assert report.ok, report.errors

    project = tmp_path / "project"
    project.mkdir()
    for name in ("pitfall_local_module.py", "localhelpers.py"):
        (project / name).write_text((EXAMPLES / name).read_text())
    (project / "setup.py").write_text(
        "from setuptools import setup\nsetup(name='helpers', py_modules=['localhelpers'])\n"
    )
    script = project / "pitfall_local_module.py"
    assert {d.code for d in check_script(script).errors} == {"BD402"}
    staged = check_script(script, argv=["--setup_file", str(project / "setup.py")])
    assert staged.ok, staged.errors


def test_a_script_imported_again_as_a_module_has_every_class_twice(tmp_path):
    (tmp_path / "job.py").write_text(
        "import enum\nimport apache_beam as beam\n\n\nclass Color(enum.Enum):\n    RED = 1\n\n\n"
        "if __name__ == '__main__':\n"
        "    from helpers import is_red\n"
        "    with beam.Pipeline(argv=__import__('sys').argv[1:]) as p:\n"
        "        p | beam.Create([1]) | beam.Map(lambda x: Color(x)) | beam.Map(is_red)\n"
    )
    (tmp_path / "helpers.py").write_text(
        "from job import Color\n\n\ndef is_red(c):\n    return c is Color.RED\n"
    )
    report = check_script(tmp_path / "job.py", argv=CLOUDPICKLE)
    (twice,) = [d for d in report.diagnostics if d.code == "BD303"]
    assert twice.line == 5 and twice.path == "job.Color"
    assert "Color is not Color" in twice.message
