"""BD307: dill 0.3.6+ rebuilds a PTransform subclass of the script without its bases.

dill 0.3.6 and newer pickle a class of ``__main__`` by value and rebuild it from
``__orig_bases__`` when ``hasattr(cls, "__orig_bases__")`` (dill._dill.save_type), which a
subclass of the Generic ``beam.PTransform`` inherits: the worker's class has PTransform's
own bases (WithTypeHints, HasDisplayData, Generic), without PTransform and without the
script's own base transforms. Each example is checked, then run for real on isolated workers
(tests/isolated.py) with the pickler this environment has (cloudpickle in the default env,
dill 0.3.1.1 as ``dill`` in tox dill, the newest dill as ``dill_unsafe`` in tox dillnew),
with and without ``--save_main_session``:

* dill_ptransform_base.py: a method that runs on the worker calls a helper of the script's
  base transform: "'CleanWords' object has no attribute 'clean'" with the newest dill only;
* dill_ptransform_label.py: worker code reads ``self.label`` (PTransform's property):
  "'Tag' object has no attribute 'label'" with the newest dill only;
* dill_ptransform_closure.py: a lambda made in expand() calls a method of ``self`` that
  calls the base's helper in a comprehension (worker code reached through the closure, and
  ``self`` read through a cell before Python 3.12): "'Scores' object has no attribute
  'normalise'" with the newest dill only;
* dill_ptransform_base_fixed.py: worker code reads only what the class defines itself:
  runs everywhere, no BD307.

The class still arrives without its bases in the fixed example and in dill_composite_self.py
(tests/test_accuracy_dill.py): nothing on the worker looks for them, and check says nothing.
"""

from __future__ import annotations

import pytest
from conftest import DILL_LIBRARY, DILL_VERSION, HAS_DILL
from isolated import run_isolated
from support.golden import check_golden
from test_check_examples import BEAM_EXAMPLES, EXAMPLES, Example, ExampleRuns

from beam_deps.check import check_script

E = frozenset
NEW_DILL = HAS_DILL and DILL_VERSION != "0.3.1.1"  # dill_unsafe: any dill but 0.3.1.1
OUTPUTS = {
    "dill_ptransform_base.py": ["cat=1", "dog=1", "the=2"],
    "dill_ptransform_label.py": ["Animals:cat", "Animals:dog"],
    "dill_ptransform_closure.py": ["0.7", "1.0", "2.5"],
    "dill_ptransform_base_fixed.py": ["Clean:cat=1", "Clean:dog=1", "Clean:the=2"],
}
FAILS = {
    "dill_ptransform_base.py": "AttributeError: 'CleanWords' object has no attribute 'clean'",
    "dill_ptransform_label.py": "AttributeError: 'Tag' object has no attribute 'label'",
    "dill_ptransform_closure.py": "AttributeError: 'Scores' object has no attribute 'normalise'",
}


def _examples(library: str) -> list[Example]:
    rebuilt = library == "dill_unsafe"  # the pickler that rebuilds from __orig_bases__
    out = []
    for ssm in (False, True):
        for script in OUTPUTS:
            fails = FAILS.get(script) if rebuilt else None
            out.append(
                Example(
                    script,
                    E({"BD307"}) if fails else E(),
                    fails_with=fails,
                    library=library,
                    save_main_session=ssm,
                    args=("{out}/out.txt",),
                )
            )
    return out


# The default env runs the cloudpickle variants (no false BD307, and the runs' outputs); the
# dill envs run their dill's variants.
TABLE = _examples(DILL_LIBRARY) if HAS_DILL else _examples("cloudpickle")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    r = ExampleRuns(tmp_path_factory.mktemp("dill-ptransform"), TABLE)
    yield r
    r.close()


@pytest.mark.slow
@pytest.mark.parametrize("example", TABLE, ids=[e.id for e in TABLE])
def test_check_predicts_the_real_run(example, runs):
    report = check_script(
        EXAMPLES / example.script, argv=example.pipeline_args(runs.out_dir(example))
    )
    assert {d.code for d in report.errors} == example.errors, report.diagnostics
    assert "BD307" not in {d.code for d in report.diagnostics} or example.errors
    for d in report.errors:
        if d.code == "BD307":  # where, and the worker's own words
            assert d.file == str(EXAMPLES / example.script) and d.line and d.fix, d
            assert example.fails_with in d.message, d.message
    expected = OUTPUTS[example.script] if example.fails_with is None else None
    runs.assert_real_run(example, expected)


@pytest.mark.skipif(not NEW_DILL, reason="about the newest dill: runs in the tox dillnew env")
def test_errors_page_message(tmp_path, monkeypatch):
    """The BD307 line the errors page shows, from check on the failing example."""
    monkeypatch.chdir(tmp_path)  # "{out}/out.txt": the script writes nothing at check time
    script = "dill_ptransform_base.py"
    argv = ["{out}/out.txt", f"--pickle_library={DILL_LIBRARY}"]
    report = check_script(EXAMPLES / script, argv=argv)
    (found,) = [d for d in report.diagnostics if d.code == "BD307"]
    line = f"{script}:{found.line}: {found.code} [{found.severity.value}] {found.message}\n"
    line = line.replace(f"(dill {DILL_VERSION})", "(dill <version>)")  # the newest dill moves
    check_golden("check_rebuilt_class", line)


# Precision: no BD307 where the worker does not read what the class lost.

CONSTRUCTION_ONLY = """\
import sys
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Base(beam.PTransform):
    def step(self, name):
        return f"{self.label}/{name}"  # called while the pipeline is built


class Double(Base):
    side_inputs = ()

    def __init__(self, factor):
        beam.PTransform.__init__(self)
        self.factor = factor
        self.pipeline_name = "p"

    def times(self, x):
        return x * self.factor  # worker code: the instance's own attribute

    def expand(self, pcoll):
        named = self.step("Times")
        doubled = pcoll | named >> beam.Map(self.times)
        return doubled | beam.Map(lambda x: x + len(self.pipeline_name))


with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:
    p | beam.Create([1, 2]) | Double(3) | beam.Map(print)
"""


@pytest.mark.skipif(not NEW_DILL, reason="about the newest dill: runs in the tox dillnew env")
def test_construction_time_reads_and_own_attributes_are_not_reported(tmp_path):
    script = tmp_path / "construction_only.py"
    script.write_text(CONSTRUCTION_ONLY)
    for ssm in ([], ["--save_main_session"]):
        report = check_script(script, argv=[f"--pickle_library={DILL_LIBRARY}", *ssm])
        assert not report.errors, report.diagnostics
    run = run_isolated(script, [f"--pickle_library={DILL_LIBRARY}"], workdir=tmp_path / "w")
    assert run.ok, run  # and it really runs on isolated workers


@pytest.mark.skipif(not HAS_DILL, reason="dill runs in the tox dill envs")
@pytest.mark.parametrize(
    "script",
    [
        "clean_basic.py",
        "clean_self_contained.py",
        "clean_script_classes.py",
        "dill_composite_self.py",
        "dill_session_globals.py",
    ],
)
def test_no_bd307_on_clean_dill_examples(script, tmp_path):
    args = ["--output", f"{tmp_path}/t.txt"] if script == "clean_basic.py" else [f"{tmp_path}/o"]
    for ssm in ([], ["--save_main_session"]):
        report = check_script(
            EXAMPLES / script, argv=[*args, f"--pickle_library={DILL_LIBRARY}", *ssm]
        )
        assert "BD307" not in {d.code for d in report.diagnostics}, report.diagnostics


@pytest.mark.skipif(not HAS_DILL, reason="dill runs in the tox dill envs")
@pytest.mark.parametrize("script, args", BEAM_EXAMPLES, ids=[s for s, _ in BEAM_EXAMPLES])
def test_no_bd307_on_beams_examples_under_dill(script, args, tmp_path):
    text = tmp_path / "kinglear.txt"
    text.write_text("the cat sat on the mat\nthe dog ate the cat\n")
    argv = [a.replace("{in}", str(text)).replace("{out}", str(tmp_path)) for a in args]
    report = check_script(
        EXAMPLES / "beam" / script, argv=[*argv, f"--pickle_library={DILL_LIBRARY}"]
    )
    assert "BD307" not in {d.code for d in report.diagnostics}, report.diagnostics
