"""Running the user's step functions in the check's own process without their reaching out,
and as on a worker (used by known_elements, BD329).

A step run on the pipeline's own elements is the user's code, run here and not on a worker:
what it computes is the point, what it does to the world is not. While ``contained()`` is
on, an audit hook (PEP 578) stops any write to a file, network connection or lookup,
subprocess, removal or rename, by raising ``Reached`` (a BaseException, so the step's own
``except Exception`` does not go on past it): the caller then does not claim the step. No
bytecode is cached meanwhile (an import inside the step would write it), and what the step
prints goes to stderr, so a machine format on stdout stays machine-readable.

As on a worker, a step gets the frames of a fresh interpreter's recursion limit
(``worker_frames``) and the worker's ``__main__`` (``worker_main``: Beam's worker module,
unless dill's saved session fills it with the script's globals).

The hook stays installed for the process once added (Python has no way to remove one); it
does nothing while no step runs.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Iterator
from typing import Any


class Reached(BaseException):
    """Raised by the audit hook at a step's side effect; a BaseException so a step's own
    ``except Exception`` does not go on past it."""


_GUARD = {"on": False, "hooked": False}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_SIDE_EFFECTS = frozenset(
    {
        "os.remove",
        "os.rename",
        "os.rmdir",
        "os.mkdir",
        "os.truncate",
        "os.chmod",
        "os.chown",
        "os.link",
        "os.symlink",
        "os.utime",
        "os.kill",
        "os.system",
        "os.exec",
        "os.fork",
        "os.forkpty",
        "os.posix_spawn",
        "os.spawn",
        "os.startfile",
        "shutil.rmtree",
        "shutil.move",
        "shutil.copyfile",
        "subprocess.Popen",
        "socket.connect",
        "socket.bind",
        "socket.sendto",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "urllib.Request",
        "ctypes.dlopen",
    }
)


def _audit(event: str, args: tuple) -> None:
    if not _GUARD["on"]:
        return
    if event == "open":
        mode, flags = (args[1], args[2]) if len(args) > 2 else (None, 0)
        writes = any(c in mode for c in "wax+") if isinstance(mode, str) else False
        if writes or (isinstance(flags, int) and flags & _WRITE_FLAGS):
            raise Reached(event)
    elif event in _SIDE_EFFECTS:
        raise Reached(event)


@contextlib.contextmanager
def contained() -> Iterator[None]:
    """Steps run here change nothing outside the process (see the module's docstring)."""
    if not _GUARD["hooked"]:
        sys.addaudithook(_audit)  # stays for the process: inert while the guard is off
        _GUARD["hooked"] = True
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    _GUARD["on"] = True
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        _GUARD["on"] = False
        sys.dont_write_bytecode = saved


# a worker is a fresh interpreter: CPython's default recursion limit, whatever the script set
WORKER_RECURSION = 1000


@contextlib.contextmanager
def worker_frames() -> Iterator[None]:
    """The step gets as many frames as a worker's limit could leave it at most (all of the
    default limit, as if the worker's own stack took none), whatever this process's limit
    (a script may raise it at launch): a RecursionError here is one on any worker."""
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + WORKER_RECURSION)
    try:
        yield
    finally:
        sys.setrecursionlimit(saved)


@contextlib.contextmanager
def worker_main(session_in_main: bool) -> Iterator[None]:
    """``sys.modules["__main__"]`` as a worker has it while a step runs. Without a saved main
    session a worker's ``__main__`` is Beam's own worker module, not the script: a step that
    looks the script's names up there (``getattr(sys.modules[__name__], "handle_" + kind)``,
    ``import __main__``, the standard pickle of a script class) fails on the worker with
    AttributeError, and here too. The script's functions keep their own globals."""
    if session_in_main:
        yield
        return
    script = sys.modules.get("__main__")
    sys.modules["__main__"] = _workers_main()
    try:
        yield
    finally:
        if script is not None:
            sys.modules["__main__"] = script


@functools.cache
def _workers_main() -> Any:
    """A module like the worker's ``__main__``: Beam's worker module run as the program (made
    once: steps run per element)."""
    import importlib
    import types

    stand_in = types.ModuleType("__main__")
    try:
        beams = importlib.import_module("apache_beam.runners.worker.sdk_worker_main")
        stand_in.__dict__.update(vars(beams))
    except Exception:  # noqa: BLE001 - an older Beam's layout: the worker module's names aside
        pass
    stand_in.__name__ = "__main__"
    return stand_in


__all__ = ["WORKER_RECURSION", "Reached", "contained", "worker_frames", "worker_main"]
