"""Run a real pipeline script on ISOLATED Beam worker processes (test support).

Why: DirectRunner and in-process tests hide exactly the problems beam-deps exists for; the
script's folder, ``PYTHONPATH`` and ``__main__`` are all there. Here the pipeline runs with
Beam's ``PortableRunner`` and an embedded job server, and each SDK worker is a separate
``python -m apache_beam.runners.worker.sdk_worker_main`` started by Beam through the
``beam:env:harness_subprocess_python:v1`` environment, whose command is a small launcher
we write: it ``cd``s into an empty directory, sets a controlled ``PYTHONPATH`` (nothing of
the script's folder unless you pass it) and ``SEMI_PERSISTENT_DIRECTORY``, then execs the
worker. Beam 2.77 runs that command with ``shell=True`` and the submitter's environment plus
the control/logging endpoints and ``PIPELINE_OPTIONS`` (``local_job_service.
SubprocessSdkWorker``); ``sdk_worker_main`` puts ``$SEMI_PERSISTENT_DIRECTORY/staged`` on
``sys.path`` and loads ``staged/pickled_main_session`` from there.

No artifacts travel through this environment, so to honour ``--save_main_session`` the
submitting process gets a ``sitecustomize`` that copies each main session Beam dumps into
the workers' ``staged/`` folder: the job a boot program would do on a cluster.

API (also used by the website's snippet tests):

* ``run_isolated(script, args=(), *, pythonpath=(), staged=(), timeout=300) -> IsolatedRun``
* ``isolated_pipeline_args(workdir, *, pythonpath=(), python=None) -> list[str]``
"""

from __future__ import annotations

import atexit
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_SITECUSTOMIZE = '''\
"""Copy Beam's pickled main session to where the isolated workers load it from."""
import os, shutil
_target = os.environ.get("BEAM_DEPS_ISOLATED_SESSION")
if _target:
    from apache_beam.internal import pickler as _pickler
    _dump = _pickler.dump_session

    def dump_session(file_path):
        result = _dump(file_path)
        if os.path.isfile(file_path):
            os.makedirs(os.path.dirname(_target), exist_ok=True)
            shutil.copyfile(file_path, _target)
        return result

    _pickler.dump_session = dump_session
'''


@dataclass
class IsolatedRun:
    """The outcome of one pipeline run on isolated workers."""

    returncode: int
    stdout: str
    stderr: str
    workdir: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def worker_log(self) -> str:
        path = self.workdir / "worker.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def output(self) -> str:
        """Everything the job printed, submitter and workers: search it for the error."""
        return self.stdout + self.stderr + self.worker_log

    def __repr__(self) -> str:  # short, for pytest failure messages
        return f"IsolatedRun(returncode={self.returncode}, tail={self.output[-1500:]!r})"


def write_worker_launcher(
    workdir: Path, *, pythonpath: Sequence[str | os.PathLike] = (), python: str | None = None
) -> Path:
    """Write ``workdir/worker.sh``: starts one SDK worker in an empty, controlled setting."""
    workdir = Path(workdir)
    empty = workdir / "empty"
    semi = workdir / "semi"
    for d in (empty, semi / "staged"):
        d.mkdir(parents=True, exist_ok=True)
    launcher = workdir / "worker.sh"
    launcher.write_text(
        "#!/bin/sh\n"
        f"export PYTHONPATH={shlex.quote(os.pathsep.join(map(str, pythonpath)))}\n"
        f"export SEMI_PERSISTENT_DIRECTORY={shlex.quote(str(semi))}\n"
        "unset PYTHONSTARTUP BEAM_DEPS_ISOLATED_SESSION\n"
        f"cd {shlex.quote(str(empty))} || exit 1\n"
        f"exec {shlex.quote(python or sys.executable)} -m "
        f"apache_beam.runners.worker.sdk_worker_main >> {shlex.quote(str(workdir / 'worker.log'))}"
        " 2>&1\n"
    )
    launcher.chmod(0o755)
    return launcher


def isolated_pipeline_args(
    workdir: str | os.PathLike,
    *,
    pythonpath: Sequence[str | os.PathLike] = (),
    python: str | None = None,
) -> list[str]:
    """Pipeline options that run a pipeline's workers as isolated subprocesses."""
    launcher = write_worker_launcher(Path(workdir), pythonpath=pythonpath, python=python)
    return [
        "--runner=PortableRunner",
        "--job_endpoint=embed",
        "--environment_type=beam:env:harness_subprocess_python:v1",
        f"--environment_config={launcher}",
    ]


def run_isolated(
    script: str | os.PathLike,
    args: Sequence[str] = (),
    *,
    pythonpath: Sequence[str | os.PathLike] = (),
    staged: Sequence[str | os.PathLike] = (),
    submit_pythonpath: Sequence[str | os.PathLike] = (),
    workdir: str | os.PathLike | None = None,
    timeout: float = 300,
) -> IsolatedRun:
    """Run ``python SCRIPT ARGS`` with its workers isolated; never raises for a failed job.

    ``pythonpath``: what the workers can import besides the interpreter's site-packages.
    ``staged``: files copied into the workers' ``staged/`` folder (on their sys.path).
    ``submit_pythonpath``: extra ``PYTHONPATH`` for the submitting process only.
    """
    if workdir is None:  # the run's own folder: kept for the caller, removed at exit
        workdir = tempfile.mkdtemp(prefix="beam-deps-isolated-")
        atexit.register(shutil.rmtree, workdir, True)
    workdir = Path(workdir)
    pipeline_args = isolated_pipeline_args(workdir, pythonpath=pythonpath)
    semi_staged = workdir / "semi" / "staged"
    for item in staged:
        item = Path(item)
        target = semi_staged / item.name
        if item.is_dir():
            shutil.copytree(item, target, dirs_exist_ok=True)
        else:
            shutil.copy2(item, target)
    hook_dir = workdir / "submit_hooks"
    hook_dir.mkdir(exist_ok=True)
    (hook_dir / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    env = dict(os.environ)
    # A check running in this process at the same time sets BEAM_DEPS_CHECK while it runs its
    # script (ParallelRuns starts real runs beside the checks): a real run is never a check.
    env.pop("BEAM_DEPS_CHECK", None)
    env["PYTHONPATH"] = os.pathsep.join([str(hook_dir), *map(str, submit_pythonpath)])
    env["BEAM_DEPS_ISOLATED_SESSION"] = str(semi_staged / "pickled_main_session")
    script = Path(script).resolve()
    # its own process group: a job that hangs is stopped with its workers, not left behind
    proc = subprocess.Popen(
        [sys.executable, str(script), *args, *pipeline_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=script.parent,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        return IsolatedRun(proc.returncode, out, err, workdir)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        return IsolatedRun(-1, out or "", (err or "") + "\n[timeout]", workdir)


# Real runs started together. A run keeps a core busy about a third of its time (a job
# server's and a worker's start-up, polls): four at once on CI's two cores finish a batch
# about 1.4 times sooner than two (measured: 4 runs in 17 s, against 12 s each alone).
RUNS_AT_ONCE = int(os.environ.get("BEAM_DEPS_TEST_RUNS", "4"))

# the ids of the tests pytest runs (set by conftest once collection is done): a batch starts
# only the cases some selected test names, so ``pytest -k one_example`` runs one example
SELECTED: set[str] | None = None


def _selected(case_id: str) -> bool:
    return SELECTED is None or any(
        f"[{case_id}" in test or f"{case_id}]" in test for test in SELECTED
    )


class ParallelRuns:
    """Real isolated runs of a table of cases (anything with an ``id``), each run once,
    ``RUNS_AT_ONCE`` at a time. The first ``get`` starts every case of its batch together
    (those of the tests pytest runs), so a test module waits for the slowest run once
    instead of once per case. Subclasses say how one case runs (``run``) and which cases
    start together (``batch``: all of them by default)."""

    def __init__(self, root: Path, cases: Sequence) -> None:
        import concurrent.futures

        self.root = root
        self.cases = list(cases)
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=RUNS_AT_ONCE)
        self.futures: dict[str, concurrent.futures.Future] = {}

    def out_dir(self, case) -> Path:
        path = self.root / case.id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def batch(self, case) -> list:
        return self.cases

    def run(self, case) -> IsolatedRun:
        raise NotImplementedError

    def get(self, case) -> IsolatedRun:
        if case.id not in self.futures:
            for sibling in [case, *self.batch(case)]:
                if sibling.id not in self.futures and (sibling is case or _selected(sibling.id)):
                    self.futures[sibling.id] = self.pool.submit(self.run, sibling)
        return self.futures[case.id].result()

    def assert_real_run(
        self, case, lines: Sequence[str] | None = None, output: str = "out.txt"
    ) -> IsolatedRun:
        """The case's real run did what it predicts: ran (``fails_with`` None) or failed
        with those words; and, when ``lines`` are given, wrote them (sorted, blank lines
        dropped) to ``output`` in its folder."""
        run = self.get(case)
        if case.fails_with is None:
            assert run.ok, run
        else:
            assert not run.ok, run
            assert case.fails_with in run.output.replace("\\'", "'"), run
        if lines is not None:
            text = (self.out_dir(case) / output).read_text()
            assert sorted(filter(None, text.split("\n"))) == list(lines)
        return run

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
