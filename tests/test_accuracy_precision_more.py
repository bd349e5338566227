"""Precision of BD302 (issue 14): check reports a script class's instances at a shuffle only when
a DoFn emits them. Each example is checked, then run for real on ISOLATED workers
(tests/isolated.py) and fails with the predicted message. Finding: a member converted to a plain
value (``.value``, ``.name``, ``str()``) between the emitter and the shuffle is NOT safe: the
worker encodes the emitter's output anyway when its output counters sample element sizes, so
BD302 there is a true positive, not a false error. The same sampling makes instances a DoFn
emits fail with no shuffle at all (elements_emitted_no_shuffle.py), while a helper object a
DoFn builds and uses itself is fine (its _fixed variant).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from isolated import IsolatedRun, ParallelRuns, run_isolated
from test_check_examples import EXAMPLES, Example, ExampleRuns, helper_project

from beam_deps.check import check_script

E = frozenset
ENUM_FAILS = "Can't pickle <enum 'Level'>: attribute lookup Level on __main__ failed"
PRECISION_EXAMPLES = [
    # converted to .value before the shuffle: still fails, the emitted elements are encoded
    # when Beam's output counters sample their size (opcounters.do_sample): BD302 is right
    Example(
        "precision_enum_converted.py", E({"BD302"}), fails_with=ENUM_FAILS, args=("{out}/out.txt",)
    ),
    # converted by a DoFn (.name) and a Map (str()): fails the same way
    Example(
        "precision_enum_named.py", E({"BD302"}), fails_with=ENUM_FAILS, args=("{out}/out.txt",)
    ),
    # a Filter and a DoFn yielding its element unchanged: the members reach the shuffle
    Example(
        "precision_enum_passthrough.py",
        E({"BD302"}),
        fails_with=ENUM_FAILS,
        args=("{out}/out.txt",),
    ),
    # five pass-through steps between the emitter and the shuffle
    Example("precision_enum_far.py", E({"BD302"}), fails_with=ENUM_FAILS, args=("{out}/out.txt",)),
]
# no shuffle at all: the emitter's output is encoded for the element counters' sample
PRECISION_EXAMPLES += [
    Example(
        "elements_emitted_no_shuffle.py",
        E({"BD302"}),
        fails_with="Can't pickle <class '__main__.SensorReading'>: attribute lookup "
        "SensorReading on __main__ failed",
        args=("{out}/out.txt",),
    ),
    Example("elements_emitted_no_shuffle_fixed.py", args=("{out}/out.txt",)),
]
# a registered RowCoder under an Optional[...] return hint: NullableCoder(RowCoder) (review)
# ... and MapTuple, whose first parameter is a field of the element, not the element
PRECISION_EXAMPLES += [
    Example("precision_rowcoder_optional.py", args=("{out}/out.txt",)),
    Example("precision_rowcoder_maptuple.py", args=("{out}/out.txt",)),
]
# a helper's result: emitted (through a helper method) or only used (a method of it is)
PRECISION_EXAMPLES += [
    Example("precision_helper_result_used.py", args=("{out}/out.txt",)),
    Example(
        "elements_classmethod_map.py",
        E({"BD302"}),
        fails_with="Can't pickle <class '__main__.LogLine'>: attribute lookup LogLine on __main__",
        args=("{out}/out.txt",),
    ),
    Example(
        "precision_helper_result_emitted.py",
        E({"BD302"}),
        fails_with="Can't pickle <class '__main__.Stamp'>: attribute lookup Stamp on __main__",
        args=("{out}/out.txt",),
    ),
]
OUTPUTS: dict[str, list[str]] = {
    "elements_emitted_no_shuffle_fixed-cloudpickle": ["a=3.0", "b=4.0"],
    "precision_helper_result_used-cloudpickle": ["2024-01-02:2", "2024-01-03:1"],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    runs = ExampleRuns(tmp_path_factory.mktemp("precision"), PRECISION_EXAMPLES)
    yield runs
    runs.close()


@pytest.mark.slow
@pytest.mark.parametrize("example", PRECISION_EXAMPLES, ids=[e.id for e in PRECISION_EXAMPLES])
def test_check_predicts_the_real_run(example, runs):
    report = check_script(
        EXAMPLES / example.script, argv=example.pipeline_args(runs.out_dir(example))
    )
    assert {d.code for d in report.errors} == example.errors, report.diagnostics
    if example.fails_with and example.errors:
        assert any(example.fails_with in d.message for d in report.errors), report.errors
    runs.assert_real_run(example, OUTPUTS.get(example.id))


# BD206 precision: module state that differs from a bare fresh import only in ways the
# workers reproduce themselves is no finding; a registry only the script fills still is.
STATE_HELPERS = (
    "precision_state_lib.py",
    "precision_state_plugins.py",
    "precision_state_fns.py",
    "precision_state_fns_bare.py",
)
STATE_CASES = [
    # plugin registered at import by a module the DoFn's module imports; a memo, an lru_cache
    # warmed at launch; a logger level set at launch: the worker computes the same answers
    Example("precision_state_clean.py"),
    # the plugin is imported by the script only: the worker never applies 'upper'
    Example("precision_state_plugin_missing.py", E({"BD206"})),
]
STATE_OUTPUTS = {
    "precision_state_clean-cloudpickle": ["a/A", "b/B"],
    "precision_state_plugin_missing-cloudpickle": ["a", "b"],  # 'upper' silently missing
}


class StateRuns(ParallelRuns):
    """Each state example's real isolated run, the helper project on the workers' path."""

    def batch(self, example: Example) -> list[Example]:
        return list(self.cases)

    def args(self, example: Example) -> list[str]:
        return [str(self.out_dir(example) / "out.txt"), *example.pipeline_args(Path())]

    def run(self, example: Example) -> IsolatedRun:
        out = self.out_dir(example)
        return run_isolated(
            EXAMPLES / example.script,
            self.args(example),
            pythonpath=[helper_project(self.root, STATE_HELPERS, "precision-helpers")],
            workdir=out / "work",
        )


@pytest.fixture(scope="module")
def state_runs(tmp_path_factory):
    runs = StateRuns(tmp_path_factory.mktemp("precision_state"), STATE_CASES)
    yield runs
    runs.close()


@pytest.mark.slow
@pytest.mark.parametrize("example", STATE_CASES, ids=[e.id for e in STATE_CASES])
def test_state_check_predicts_the_real_run(example, state_runs, monkeypatch):
    monkeypatch.chdir(EXAMPLES)
    monkeypatch.setenv("BEAM_DEPS_CACHE_DIR", str(state_runs.root / "cache"))
    argv = [
        *state_runs.args(example),
        "--setup_file",
        str(helper_project(state_runs.root, STATE_HELPERS, "precision-helpers") / "setup.py"),
    ]
    report = check_script(EXAMPLES / example.script, argv=argv)
    assert {d.code for d in report.errors} == example.errors, report.diagnostics
    run = state_runs.get(example)
    assert run.ok, run
    lines = (state_runs.out_dir(example) / "out.txt").read_text().split("\n")
    assert sorted(filter(None, lines)) == STATE_OUTPUTS[example.id]
