"""Every code block of the website runs here, and every message it shows comes from here.

Each case runs one file of ``snippets/`` as ``python SNIPPET.py ARGS`` would, in a fresh
interpreter (pickling depends on ``__main__``, so in-process runs would prove little):

* ``local``: with ``--runner=FnApiRunner``, the in-process engine the DirectRunner falls back
  to. The DirectRunner itself first tries to *download* the Prism runner from GitHub (logged as
  "Downloading prism from https://github.com/..."), which CI should not depend on.
* ``worker``: on isolated worker processes (``tests/isolated.py``): Beam's embedded job server
  starts each SDK worker in an empty directory with a controlled ``PYTHONPATH``, so the worker
  sees neither the script's folder nor its ``__main__``, as on a cluster.
* ``plain``: no pipeline options (the snippet builds no pipeline, or only constructs one).
* ``check``: ``beam-deps check SNIPPET.py`` (the real CLI) from the snippet's folder; its text
  report is the golden, so the output shown on the website is what the tool prints.
* ``stage``: ``beam-deps stage SNIPPET.py --out DIR`` the same way, into a temporary ``DIR``.

The error line (or stdout) is normalised and compared with ``tests/golden/NAME.txt``, which
the website includes, so a change in Beam's behaviour or ours fails CI and the page together.
Run with ``BEAM_DEPS_UPDATE_GOLDEN=1`` to rewrite the golden files after a deliberate change.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from isolated import RUNS_AT_ONCE
from support.golden import GOLDEN, check_golden

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"
TIMEOUT = 240


def _dill_available() -> bool:
    try:
        import dill  # noqa: F401
    except ImportError:
        return False
    return True


HAS_DILL = _dill_available()


@dataclass(frozen=True)
class Case:
    name: str  # golden file stem (tests/golden/NAME.txt) and test id
    script: str  # path under snippets/
    where: str = "local"  # local | worker | plain | check | stage
    expect: str = "error"  # error: golden of the error line | stdout: golden of stdout | ok
    # | report: golden of stdout, exit code 1 (errors found) | clean: golden of stdout, exit 0
    args: tuple[str, ...] = ()
    dill: bool | None = None  # True: needs dill; False: only meaningful without dill


CASES = [
    # quickstart and the pickling guide
    Case("quickstart_wordcount", "quickstart/wordcount.py", expect="stdout"),
    Case("guide_when_pickled", "guide/when_pickled.py", "worker", "stdout"),
    Case("guide_when_pickled_locally", "guide/when_pickled.py", "local", "stdout"),
    Case("guide_everything_is_a_dofn", "guide/everything_is_a_dofn.py", "plain", "stdout"),
    Case("guide_scope", "guide/scope.py", "plain", "stdout"),
    Case("guide_reducers", "guide/reducers.py", "plain", "stdout"),
    Case("guide_nested", "guide/nested.py", "plain", "stdout"),
    Case("guide_main_session", "guide/main_session.py", "plain", "stdout"),
    Case("guide_history", "guide/history.py", "plain", "stdout"),
    Case("guide_setup_imports", "guide/setup_imports.py", "worker", "ok"),
    # common pickling errors, each with the message Beam really produces
    Case("recursion", "errors/recursion.py", "plain"),
    Case("recursion_fixed", "errors/recursion_fixed.py", "plain", "ok"),
    Case("module_not_found", "errors/module_not_found.py", "worker"),
    Case("module_not_found_locally", "errors/module_not_found.py", "local", "ok"),
    Case("not_same_object", "errors/not_same_object.py", "local"),
    Case("not_same_object_dill", "errors/not_same_object_dill.py", "worker", dill=True),
    Case("enum_on_worker", "errors/enum_on_worker.py", "worker"),
    Case("enum_locally", "errors/enum_on_worker.py", "local", "ok"),
    Case("name_error", "errors/name_error.py", "worker", dill=True),
    Case("thread_lock", "errors/thread_lock.py", "local"),
    Case("thread_lock_on_worker", "errors/thread_lock.py", "worker"),
    Case("sqlite", "errors/resources.py", "plain", args=("sqlite_connection",)),
    Case("socket", "errors/resources.py", "plain", args=("open_socket",)),
    Case("file", "errors/resources.py", "plain", args=("file_for_writing",)),
    Case("generator", "errors/resources.py", "plain", args=("generator",)),
    Case("custom_source", "errors/custom_source.py", "plain"),
    Case("resources_fixed", "errors/resources_fixed.py", "worker", "ok"),
    Case("cant_get_attribute", "errors/cant_get_attribute.py", "worker"),
    Case("cant_get_attribute_locally", "errors/cant_get_attribute.py", "local", "ok"),
    Case("dill_payload", "errors/dill_payload.py", "plain", dill=True),
    Case("dill_missing", "errors/dill_missing.py", "plain", dill=False),
    Case("dill_version", "errors/dill_version.py", "plain", "stdout", dill=False),
    Case("env_mismatch", "errors/env_mismatch.py", "plain"),
    # managing dependencies
    Case("deps_setup_py", "deps/setup.py", "plain", "ok", args=("--name",)),
    Case("deps_requires", "deps/requires.py", "plain", "ok"),
    # locally it runs as is (one process, a warning); tests/test_per_transform_envs.py runs it
    # on a real worker pool, where each DoFn gets its own version
    Case("deps_environments", "deps/environments.py", "local", "ok"),
    # `beam-deps check` output shown on the pages
    # the command of snippets/commands/quickstart.sh:check, arguments included
    Case(
        "check_wordcount",
        "quickstart/wordcount.py",
        "check",
        "clean",
        args=("--", "--runner=DirectRunner"),
    ),
    Case("check_module_not_found", "errors/module_not_found.py", "check", "report"),
    Case("check_cant_get_attribute", "errors/cant_get_attribute.py", "check", "report"),
    Case("check_custom_source", "errors/custom_source.py", "check", "report"),
    Case("options_conflict", "errors/options_conflict.py", "local"),
    Case("check_options_conflict", "errors/options_conflict.py", "check", "report"),
    # `beam-deps stage` output shown on the pages
    Case("stage_module_not_found", "errors/module_not_found.py", "stage", "clean"),
]

# Goldens written by other test modules from real runs there (the worker boot's log lines,
# shown on the "Running workers" page), with the module that writes each.
GOLDEN_ELSEWHERE = {
    "boot_setup_only": "test_boot_setup.py",
    "boot_from_index": "test_boot_setup.py",
    "boot_refused": "test_boot_setup.py",
    "check_enum_value": "test_accuracy_elements.py",
    "check_function_in_element": "test_accuracy_elements.py",
    "check_loop_late_binding": "test_accuracy_elements.py",
    "check_schema_tuple": "test_accuracy_elements.py",
    "check_lossy_int": "test_accuracy_elements.py",
    "check_map_returns_none": "test_accuracy_elements.py",
    "check_map_print": "test_accuracy_elements.py",
    "check_header_line": "test_accuracy_elements.py",
    "check_generator_return": "test_accuracy_elements.py",
    "check_side_other_pipeline": "test_accuracy_elements.py",
    "check_output_tag": "test_accuracy_elements.py",
    "check_inherited_reduce": "test_accuracy_elements.py",
    "check_filter_no_return": "test_accuracy_elements.py",
    "check_json_groupbykey": "test_accuracy_elements.py",
    "check_millis_timestamps": "test_accuracy_elements.py",
    "check_finish_bundle_window": "test_accuracy_elements.py",
    "check_flatmap_groups": "test_accuracy_elements.py",
    "check_timestamp_key": "test_accuracy_elements.py",
    "check_dict_view": "test_accuracy_elements.py",
    "check_key_not_deterministic": "test_accuracy_keys.py",
    "check_launch_setting": "test_accuracy_state.py",
    "check_launch_recursion": "test_accuracy_state.py",
    "check_launch_seed": "test_accuracy_state.py",
    "check_thread_counter": "test_accuracy_state.py",
    "check_source_relative": "test_accuracy_state.py",
    "check_local_file": "test_accuracy_state.py",
    "check_launch_state": "test_accuracy_state.py",
    "check_rebuilt_class": "test_accuracy_dill_ptransform.py",  # tox dillnew
    "check_super_copy": "test_accuracy_dill.py",  # tox dillnew
    "check_session_namedtuple": "test_accuracy_dill.py",  # tox dill and dillnew
    "check_session_namedtuple_default": "test_accuracy_dill.py",  # tox dill
    "check_dataclass_fields": "test_accuracy_dill.py",  # tox dill
    "check_process_returns_dict": "test_accuracy_elements.py",  # Beam 2.76+
    "check_rlock_dill": "test_accuracy_dill.py",  # tox dill and dillnew
}

# Lines such as "_pickle.PicklingError: Can't pickle ..." or "RuntimeError: Unable to ...".
_ERROR_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*)?(?:Error|Exception): .+$")
# Wrappers the portable runner adds around the worker's own error.
_WRAPPER = re.compile(r"^RuntimeError: (Pipeline \S+ failed in state|Traceback)")


def normalise(text: str, workdir: str | None = None) -> str:
    """Remove what changes from run to run: addresses, paths, this interpreter's version."""
    text = re.sub(r" at 0x[0-9a-f]+", " at 0x...", text)
    text = re.sub(r"'[^'\n]*?/(apache_beam/[^'\n]*)'", r"'.../\1'", text)
    # content hashes of staged wheels and environment keys depend on the build tools' versions
    text = re.sub(r"\(environment [0-9a-f]{12}", "(environment <key>", text)
    text = re.sub(r"(\+)[0-9a-f]{12}(-py3-none-any\.whl)", r"\1<hash>\2", text)
    if workdir:  # paths in the snippet's own folder read as relative paths
        text = text.replace(workdir + os.sep, "").replace(workdir, ".")
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}_sdk"
    text = text.replace(
        f"Runtime environment: beam:version:sdk_base:apache/beam_{runtime}",
        "Runtime environment: beam:version:sdk_base:apache/beam_python3.X_sdk",
    )
    return text.rstrip() + "\n"


def error_line(stderr: str) -> str | None:
    """The last error a Beam user would read at the end of the traceback."""
    lines = [ln.strip() for ln in stderr.splitlines() if _ERROR_LINE.match(ln.strip())]
    lines = [ln for ln in lines if not _WRAPPER.match(ln)]
    return lines[-1] if lines else None


@dataclass
class Result:
    case: Case
    returncode: int
    stdout: str
    stderr: str
    workdir: str


class Harness:
    """Runs snippets in fresh interpreters; worker cases through ``tests/isolated.py``."""

    def __init__(self, base: Path):
        self.base = base
        # dill may come from PYTHONPATH rather than site-packages (e.g. a --target install):
        # hand it to the submitter and the isolated workers, and nothing else.
        self.extra_path = [p for p in [self._dill_path()] if p]

    @staticmethod
    def _dill_path() -> str | None:
        if not HAS_DILL:
            return None
        import site

        import dill

        where = str(Path(dill.__file__).resolve().parent.parent)
        return None if where in site.getsitepackages() else where

    def run(self, case: Case) -> Result:
        workdir = tempfile.mkdtemp(prefix=f"{case.name}-", dir=self.base)
        script = SNIPPETS / case.script
        if case.where == "worker":
            from isolated import run_isolated

            run = run_isolated(
                script,
                case.args,
                pythonpath=self.extra_path,
                submit_pythonpath=self.extra_path,
                workdir=workdir,
                timeout=TIMEOUT,
            )
            return Result(case, run.returncode, run.stdout, run.stderr, workdir)
        env = dict(os.environ)
        if case.where == "check":
            cmd = [sys.executable, "-m", "beam_deps.cli", "check", script.name, *case.args]
            cwd = workdir = str(script.parent)
        elif case.where == "stage":  # a cold stage: its own, empty cache
            out = os.path.join(workdir, "staging")
            cmd = [sys.executable, "-m", "beam_deps.cli", "stage", script.name, "--out", out]
            cwd = str(script.parent)
            env["BEAM_DEPS_CACHE_DIR"] = os.path.join(workdir, "cache")
        else:
            runner = ("--runner=FnApiRunner",) if case.where == "local" else ()
            cmd, cwd = [sys.executable, str(script), *case.args, *runner], workdir
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        return Result(case, proc.returncode, proc.stdout, proc.stderr, workdir)


def _runnable(case: Case) -> bool:
    return case.dill is None or case.dill == HAS_DILL


@pytest.fixture(scope="session")
def results(request, tmp_path_factory) -> dict[str, Result]:
    """Run the selected snippets once, a few at a time (isolated.RUNS_AT_ONCE)."""
    selected = {
        item.callspec.params["case"].name
        for item in request.session.items
        if hasattr(item, "callspec") and isinstance(item.callspec.params.get("case"), Case)
    }
    harness = Harness(tmp_path_factory.mktemp("snippets"))
    todo = [c for c in CASES if c.name in selected and _runnable(c)]
    with ThreadPoolExecutor(max_workers=RUNS_AT_ONCE) as pool:
        return dict(zip([c.name for c in todo], pool.map(harness.run, todo)))


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=c.name, marks=[pytest.mark.dill] if c.dill else []) for c in CASES],
)
def test_snippet(case: Case, results: dict[str, Result]) -> None:
    if case.dill is True and not HAS_DILL:
        pytest.skip("needs dill (apache-beam[dill]); runs in the tox dill env")
    if case.dill is False and HAS_DILL:
        pytest.skip("shows what happens when dill is not installed")
    result = results[case.name]
    details = f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
    if case.expect == "ok":
        assert result.returncode == 0, details
        return
    if case.expect in ("stdout", "report", "clean"):
        assert result.returncode == (1 if case.expect == "report" else 0), details
        check_golden(case.name, normalise(result.stdout, result.workdir))
        return
    assert result.returncode != 0, f"{case.script} should fail\n{details}"
    line = error_line(result.stderr)
    assert line, f"no error line in the output of {case.script}\n{details}"
    check_golden(case.name, normalise(line, result.workdir))


def test_every_snippet_script_has_a_case() -> None:
    """A snippet nobody runs could rot; helper modules are run through their importers."""
    helpers = {"guide/payload.py", "guide/shapes.py", "errors/enrich_utils.py"}
    scripts = {str(p.relative_to(SNIPPETS)) for p in SNIPPETS.rglob("*.py")} - helpers
    ran = {c.script for c in CASES if c.where not in ("check", "stage")}
    assert scripts - ran == set()
    assert ran - scripts == set()


def test_every_golden_is_produced_by_a_case() -> None:
    produced = {c.name for c in CASES if c.expect != "ok"}
    for name, module in GOLDEN_ELSEWHERE.items():
        writer = (Path(__file__).parent / module).read_text()
        assert f'check_golden("{name}"' in writer, f"{module} does not write golden {name}"
    produced |= set(GOLDEN_ELSEWHERE)
    on_disk = {p.stem for p in GOLDEN.glob("*.txt")}
    assert on_disk - produced == set(), "golden files that no test writes"
    assert produced - on_disk == set(), "cases without a golden file"


def test_error_line_skips_runner_wrappers() -> None:
    stderr = (
        "Traceback (most recent call last):\n"
        "NameError: name 'PREFIX' is not defined [while running 'Map(label)']\n"
        "RuntimeError: Pipeline job-1 failed in state FAILED: boom\n"
    )
    assert (
        error_line(stderr) == "NameError: name 'PREFIX' is not defined [while running 'Map(label)']"
    )


def test_normalise_hides_addresses_and_install_paths() -> None:
    text = (
        "<function f at 0x7f12ab> on <module 'x' from '/opt/venv/site-packages/apache_beam/a.py'>"
    )
    assert normalise(text) == "<function f at 0x...> on <module 'x' from '.../apache_beam/a.py'>\n"
