"""Run ``check_script`` in a child process group that the CLI can always end.

The user's script runs for real. In the CLI's own process a script could keep check from
ever ending or from ever reporting: a bare ``except:`` retry loop eats the SIGALRM of
``--timeout``, a non-daemon thread keeps the interpreter alive after the report,
``os._exit(0)`` ends the process with exit code 0 and no report (a pass that checked
nothing), and processes it forks or spawns outlive it. So the CLI forks (cheap: everything
imported so far is shared, nothing is re-imported), the child makes itself a process group
and does the whole check, and sends the report back on a pipe. The parent waits for it
under a hard deadline, then kills the whole group, whatever is still running in it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import selectors
import signal
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from beam_deps.diagnostics import Report
from beam_deps.errors import InternalError, UsageError
from beam_deps.pipeline import ScriptError

# Beyond --timeout (which the script's construction gets, in the child), what the analysis
# of the built pipelines and the simulated worker may take before the group is killed.
GRACE = 30.0


def can_isolate() -> bool:
    """Only where fork and process groups exist (not on Windows)."""
    return hasattr(os, "fork") and hasattr(os, "killpg")


def run_isolated(check: Callable[[], Report], *, timeout: float | None, name: str) -> Report:
    """``check()`` in a forked child process group; its report, or ``ScriptError``."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(check, write_end)
    os.close(write_end)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)  # also done by the child: whichever runs first
    deadline = None if timeout is None else time.monotonic() + 2 * timeout + GRACE
    try:
        data, finished = _read_all(read_end, deadline)
    finally:
        os.close(read_end)
        _end_group(pid)
    if not finished:
        raise ScriptError(
            f"{name} did not finish within {timeout:g}s (nor end when interrupted); raise "
            "--timeout, or make sure the script does not wait for input or a service when it "
            "builds the pipeline"
        )
    if not data:
        raise ScriptError(
            f"{name} ended the check (os._exit() or a signal) before a pipeline was built and "
            "checked; nothing was checked"
        )
    kind, value = pickle.loads(data)
    if kind == "report":
        return value
    if kind == "usage":
        raise ScriptError(value)
    raise InternalError(value)


def _child(check: Callable[[], Report], write_end: int) -> None:
    code = 0
    try:
        os.setpgid(0, 0)
        try:
            result: tuple[str, Any] = ("report", check())
        except UsageError as exc:
            result = ("usage", str(exc))
        except BaseException as exc:  # noqa: BLE001 - carried to the parent, said there
            result = ("crash", "".join(traceback.format_exception(exc)))
        data = pickle.dumps(result)
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view) :]
    except BaseException:  # noqa: BLE001 - the parent sees no report and says so
        code = 3
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)  # never the script's threads, atexit handlers or finally blocks


def _read_all(fd: int, deadline: float | None) -> tuple[bytes, bool]:
    """Everything the child writes until it closes the pipe; (data, False) at the deadline."""
    chunks: list[bytes] = []
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return b"".join(chunks), False
            if not selector.select(left):
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)


def _end_group(pid: int) -> None:
    """Kill the child's process group (the script's threads, forks and the simulated
    worker with it) and reap the child."""
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
