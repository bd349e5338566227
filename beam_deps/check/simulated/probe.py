"""Drive the simulated worker (``child.py``): send it payloads, collect what it saw.

Unpickling in the submitting process proves little: every class, module and ``__main__``
global is there. So we start ONE fresh ``python -I`` process per check that sees only what
a worker sees (see ``child``) and send it every payload's exact bytes. Its findings are raw
records (``kind``, names, lines); ``check.detectors.worker_findings`` decides their codes
and messages, where the user's environment can be seen.

The process is started before the user's script runs, so importing Beam there overlaps with
building the pipeline here.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beam_deps.environment.distributions import local_worker_extras
from beam_deps.staging.imports import interpreter_modules

_HERE = Path(__file__).resolve().parent
CHILD = _HERE / "child.py"
# The walker is shared with the pickling analysis (what code runs on a worker); stdlib-only.
# The child loads ``bytecode.py`` from the same folder.
WALKER = _HERE.parent.parent / "pickling" / "walk.py"
DEFAULT_TIMEOUT = 300.0


class ProbeError(RuntimeError):
    """The simulated worker itself failed (not the user's payload)."""


@dataclass
class Staged:
    """What the pipeline ships to its workers, as the probe needs to know it."""

    dists: list[str] = field(default_factory=list)  # requirement names (pip installs them)
    modules: list[str] = field(default_factory=list)  # top-level local modules shipped
    paths: list[str] = field(default_factory=list)  # sys.path entries holding them
    notes: list[str] = field(default_factory=list)


@dataclass
class ProbeInput:
    id: int
    data: bytes
    use_zlib: bool = False
    modules: list[str] = field(default_factory=list)
    imports: list[dict[str, Any]] = field(default_factory=list)  # when data is empty


class WorkerProbe:
    """One simulated worker process; ``start()`` early, ``check()`` once per pipeline."""

    def __init__(
        self,
        image_requirements: Sequence[str] | None = None,
        *,
        python: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.image_requirements = list(image_requirements) if image_requirements else None
        self.python = python or sys.executable
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.process: subprocess.Popen | None = None
        self._stderr = None
        self._ready: dict[str, Any] | None = None
        self._last_batch: ProbeBatch | None = None
        self._workdir: str | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> WorkerProbe:
        if self.process is not None:
            return self
        self._stderr = tempfile.TemporaryFile()
        workdir = self._workdir = tempfile.mkdtemp(prefix="beam-deps-probe-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        self.process = subprocess.Popen(
            [self.python, "-I", str(CHILD)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=workdir,
            env=env,
            text=True,
            encoding="utf-8",
        )
        config = {
            "walker": str(WALKER),
            "image_requirements": self.image_requirements,
            "interpreter_modules": sorted(interpreter_modules()),
            "extras": sorted(local_worker_extras()) if self.image_requirements is None else [],
        }
        self._write([config])
        return self

    def close(self) -> None:
        if self.process is None:
            return
        try:
            if self._ready is None:
                self.process.kill()  # never used (the script could not be loaded): no wait
            elif self.process.poll() is None:
                self._write([{"type": "end"}])
                self.process.wait(timeout=10)
        except Exception:  # noqa: BLE001
            self.process.kill()
        finally:
            for stream in (self.process.stdin, self.process.stdout):
                try:
                    stream.close()
                except Exception:  # noqa: BLE001
                    pass
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            if self._stderr is not None:
                self._stderr.close()
            if self._workdir is not None:  # the child's cwd: nothing of it outlives a check
                shutil.rmtree(self._workdir, ignore_errors=True)
                self._workdir = None
            self.process = None

    def __enter__(self) -> WorkerProbe:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- protocol -------------------------------------------------------------------------
    def _write(self, messages: Iterable[dict[str, Any]]) -> None:
        assert self.process is not None and self.process.stdin is not None
        for message in messages:
            self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def _read(self) -> dict[str, Any]:
        assert self.process is not None and self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise ProbeError(f"the simulated worker exited early: {self.stderr_tail()}")
        return json.loads(line)

    def stderr_tail(self, lines: int = 3) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0)
            text = self._stderr.read().decode("utf-8", "replace")
        except Exception:  # noqa: BLE001
            return ""
        tail = [line for line in text.splitlines() if line.strip()][-lines:]
        return " | ".join(tail)

    def ready(self) -> dict[str, Any]:
        if self._ready is None:
            self.start()
            message = self._read()
            if not message.get("ready"):
                raise ProbeError(f"the simulated worker could not start: {message.get('error')}")
            self._ready = message
        return self._ready

    def begin(
        self,
        *,
        library: str,
        staged: Staged | None = None,
        main_session: str | None = None,
        main_names: Iterable[str] = (),
        main_classes: dict[str, list[str]] | None = None,
    ) -> ProbeBatch:
        """Start one pipeline's batch: payloads can be sent while they are being made.

        ``main_classes``: the member names of each class the script defines, which the
        worker compares with the classes the loaded session gives it."""
        staged = staged or Staged()
        dists = list(staged.dists)
        if library.startswith("dill") and self.image_requirements is None:
            dists.append("dill")  # Beam's docs: dill pipelines run on apache-beam[dill] images
        header = {
            "type": "batch",
            "library": library,
            "staged_dists": dists,
            "staged_modules": staged.modules,
            "staged_paths": staged.paths,
            "main_session": main_session,
            "main_names": sorted(main_names),
            "main_classes": main_classes or {},
        }
        self.start()
        batch = ProbeBatch(self, header, self._last_batch)
        self._last_batch = batch
        return batch

    def check(
        self,
        payloads: Sequence[ProbeInput],
        *,
        library: str,
        staged: Staged | None = None,
        main_session: str | None = None,
        main_names: Iterable[str] = (),
    ) -> tuple[list[dict[str, Any]], dict[int, list[dict[str, Any]]]]:
        """Send one pipeline's payloads; return (session findings, findings per payload id)."""
        batch = self.begin(
            library=library, staged=staged, main_session=main_session, main_names=main_names
        )
        for p in payloads:
            batch.send(p)
        return batch.wait()

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()


class ProbeBatch:
    """One pipeline's payloads on their way to the simulated worker.

    A writer thread feeds the worker's stdin from a queue and a reader thread collects its
    answers, so the submitting side never blocks on a full pipe, and the worker unpickles
    payload k while Beam is still serialising payload k+1. Batches of several pipelines
    queue up behind each other on the one worker process.
    """

    def __init__(self, probe: WorkerProbe, header: dict[str, Any], previous: ProbeBatch | None):
        self.probe = probe
        self.session: list[dict[str, Any]] = []
        self.results: dict[int, list[dict[str, Any]]] = {}
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue()
        self._closed = False
        self._done = threading.Event()
        self._writer = threading.Thread(target=self._write, args=(header, previous), daemon=True)
        self._reader = threading.Thread(target=self._read, args=(previous,), daemon=True)
        self._writer.start()
        self._reader.start()

    def send(self, p: ProbeInput) -> None:
        self._queue.put(
            {
                "type": "payload",
                "id": p.id,
                "data": p.data.decode("ascii"),
                "use_zlib": p.use_zlib,
                "modules": p.modules,
                "imports": p.imports,
            }
        )

    def close_input(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put({"type": "flush"})
            self._queue.put(None)

    def wait(self) -> tuple[list[dict[str, Any]], dict[int, list[dict[str, Any]]]]:
        self.close_input()
        if not self._done.wait(self.probe.timeout):
            self.probe._kill()
            raise ProbeError(f"the simulated worker did not answer within {self.probe.timeout:g}s")
        if self.error is not None:
            raise ProbeError(str(self.error))
        return self.session, self.results

    def _write(self, header: dict[str, Any], previous: ProbeBatch | None) -> None:
        if previous is not None:
            previous.close_input()
            previous._writer.join()
        try:
            self.probe._write([header])
            while (message := self._queue.get()) is not None:
                self.probe._write([message])
        except BaseException as exc:  # noqa: BLE001 - the reader reports the failure
            self.error = self.error or exc

    def _read(self, previous: ProbeBatch | None) -> None:
        if previous is not None:
            previous._done.wait()
        try:
            self.probe.ready()
            self.session = self.probe._read().get("findings", [])
            while True:
                message = self.probe._read()
                if message.get("flushed"):
                    break
                self.results[int(message["id"])] = message.get("findings", [])
        except BaseException as exc:  # noqa: BLE001 - surfaced by wait()
            self.error = exc
        finally:
            self._done.set()
