"""check_pipeline, assert_pipeline_ok and the IPython magic, used as a notebook or a test suite
would use them: real pipelines built in this process, a real pytest run, a real IPython shell."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

import beam_deps
from beam_deps.testing import assert_picklable, assert_pipeline_ok

pytest_plugins = ["pytester"]


class LockingFn(beam.DoFn):
    def __init__(self):
        self.lock = threading.Lock()

    def process(self, x):
        with self.lock:
            yield x


def locking_fn() -> beam.DoFn:
    return LockingFn()


def _codes(report) -> set[str]:
    return {d.code for d in report.diagnostics}


def test_check_pipeline_finds_what_check_finds_on_an_in_process_pipeline():
    p = beam.Pipeline(options=PipelineOptions([]))
    _ = p | beam.Create([1]) | beam.ParDo(locking_fn())
    report = beam_deps.check_pipeline(p)
    (lock,) = [d for d in report.diagnostics if d.code == "BD104"]
    assert lock.transform == "ParDo(LockingFn)" and lock.path == "LockingFn.lock"
    # check_object on a whole Pipeline is the same analysis, not a BD111 "captured" warning
    assert _codes(beam_deps.check_object(p)) == _codes(report)
    assert "BD111" not in _codes(beam_deps.check_object(p))


def test_a_clean_pipeline_has_no_finding_and_still_runs():
    p = beam.Pipeline(options=PipelineOptions([]))
    _ = p | beam.Create(["a", "b"]) | beam.Map(str.upper)
    report = assert_pipeline_ok(p, allow_warnings=False)
    assert report.diagnostics == []
    assert p.run().wait_until_finish() == "DONE"  # checking did not consume the pipeline


def test_options_are_read_from_the_pipeline_not_from_this_process_argv(monkeypatch):
    monkeypatch.setattr(sys, "argv", [sys.argv[0], "--runner=NoSuchRunner", "--bogus"])
    p = beam.Pipeline(options=PipelineOptions(["--environment_type=DOCKER"]))
    _ = p | beam.Create(["a"]) | beam.Map(str.upper)
    report = beam_deps.check_pipeline(p)
    assert report.worker and report.worker["kind"] == "sdk-image"
    assert not [d for d in report.diagnostics if "bogus" in d.message or "NoSuch" in d.message]
    assert sys.argv[1:] == ["--runner=NoSuchRunner", "--bogus"]  # given back untouched


def test_check_pipeline_refuses_what_is_not_a_pipeline():
    with pytest.raises(beam_deps.errors.UsageError, match="check_object"):
        beam_deps.check_pipeline(locking_fn())


PROJECT_TEST = """
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.testing.test_pipeline import TestPipeline

    from helpers import double

    REMOTE = ["--runner=PortableRunner", "--job_endpoint=localhost:1", "--environment_type=DOCKER"]

    def test_clean(assert_pipeline_ok):
        p = TestPipeline()
        _ = p | beam.Create(["a"]) | beam.Map(str.upper)
        assert_pipeline_ok(p)

    def test_unstaged_helper(assert_pipeline_ok):
        p = beam.Pipeline(options=PipelineOptions(REMOTE))
        _ = p | beam.Create([1]) | "Double" >> beam.Map(double)
        assert_pipeline_ok(p)

    def test_picklable_on_a_pipeline(assert_picklable):
        p = beam.Pipeline(options=PipelineOptions(REMOTE))
        _ = p | beam.Create([1]) | beam.Map(double)
        assert_picklable(p)
"""


def test_pytest_fixtures_fail_with_every_diagnostic_and_hide_their_frames(pytester):
    pytester.makepyfile(helpers="def double(x):\n    return 2 * x\n")
    pytester.makepyfile(test_project=textwrap.dedent(PROJECT_TEST))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*assert_pipeline_ok(p)",
            "E*AssertionError: the pipeline will fail on Beam workers:",
            "E*Double: BD402 ?error? *No module named 'helpers'*",
            "*assert_picklable(p)",
            "E*AssertionError: Pipeline will not survive*",
        ]
    )
    # __tracebackhide__: the failure points at the test's line, not into beam_deps
    assert "beam_deps/testing" not in out and "_fail_on" not in out


def test_assert_picklable_on_a_pipeline_does_not_pass_silently(tmp_path):
    helpers = tmp_path / "helpers_h7.py"
    helpers.write_text("def double(x):\n    return 2 * x\n")
    sys.path.insert(0, str(tmp_path))
    try:
        from helpers_h7 import double

        p = beam.Pipeline(options=PipelineOptions(["--environment_type=DOCKER"]))
        _ = p | beam.Create([1]) | beam.Map(double)
        with pytest.raises(AssertionError, match="BD402"):
            assert_picklable(p)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("helpers_h7", None)


NOTEBOOK_CELL = """
import threading
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
lock = threading.Lock()
class Fn(beam.DoFn):
    def process(self, x):
        with lock:
            yield x
p = beam.Pipeline(options=PipelineOptions([]))
_ = p | beam.Create(["a"]) | beam.ParDo(Fn())
"""

IPYTHON_SESSION = f"""
import sys
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
assert ip.run_cell("%load_ext beam_deps").success
assert ip.run_cell({NOTEBOOK_CELL!r}).success
result = ip.run_cell("view = %beam_deps_check p")
assert result.success, result.error_in_exec
view = ip.user_ns["view"]
print("TEXT>", repr(view))
print("HTML>", view._repr_html_())
assert not ip.run_cell("%beam_deps_check nothere").success
print("IGNORED>", repr(ip.run_cell("%beam_deps_check p --ignore BD104").result))
"""


def test_ipython_magic_in_a_real_shell():
    pytest.importorskip("IPython", reason="ipython is in the test extra")
    pytest.importorskip("pandas", reason="Beam needs pandas inside IPython ([interactive])")
    run = subprocess.run(
        [sys.executable, "-c", IPYTHON_SESSION], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    text = run.stdout.split("TEXT>", 1)[1].split("HTML>", 1)[0]
    assert "BD104 [warning] lock is recreated as a new, unlocked lock" in text
    assert "ParDo(Fn)" in text and "Found 0 errors, 1 warning." in text
    html = run.stdout.split("HTML>", 1)[1].split("IGNORED>", 1)[0]
    assert '<table class="beam-deps-report">' in html
    assert '<a href="https://beam-deps.github.io/beam-deps/rules/BD104/"' in html
    assert "NameError" in run.stdout + run.stderr and "no variable 'nothere'" in run.stdout
    assert "No problems found." in run.stdout.split("IGNORED>", 1)[1]


EXPORTED_NOTEBOOK = """#!/usr/bin/env python
# coding: utf-8

# In[1]:


get_ipython().system('pip install apache-beam[interactive]')
get_ipython().run_line_magic('load_ext', 'beam_deps')
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from helpers import double


# In[2]:


get_ipython().run_cell_magic('time', '', 'p = beam.Pipeline(options=PipelineOptions())\\n'
    '_ = p | beam.Create([1]) | beam.Map(double)\\n')
get_ipython().run_line_magic('beam_deps_check', 'p')
"""


def test_an_exported_notebook_still_works_with_beam_deps_check(tmp_path):
    (tmp_path / "helpers.py").write_text("def double(x):\n    return 2 * x\n")
    script = tmp_path / "analysis.py"
    script.write_text(EXPORTED_NOTEBOOK)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "beam_deps",
            "check",
            str(script),
            "--",
            "--environment_type=DOCKER",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert "NameError" not in run.stdout + run.stderr
    # the pipeline built inside the %%time cell was checked: its unstaged helper is found
    assert run.returncode == 1, run.stdout + run.stderr
    assert "BD402 [error]" in run.stdout and "No module named 'helpers'" in run.stdout
