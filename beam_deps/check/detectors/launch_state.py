"""Module state of the user's own modules set while the pipeline is built (BD206).

``import jobconfig; jobconfig.ENV = args.env`` changes ``jobconfig`` in the submitting
process only. A worker imports ``jobconfig`` afresh (modules, and the functions and classes
of importable modules, travel by reference), so code running there reads the module's
default: nothing fails, the results are silently wrong. The same holds for a class
attribute set at launch (``Settings.limit = 5``) and for a module-level container filled at
launch (a registry a decorator in the script fills), while what the module fills itself at
import is there on the worker too.

Decided by comparing values, not by reading the script's assignments, so every shape is
covered the same way:

1. what the worker code reads (``worker_code.worker_functions``: never ``__init__``) from the
   user's importable modules: ``mod.NAME`` of a module the code holds, globals of a function
   that travels by reference (its module is imported afresh), attributes of such a module's
   classes (``Config.env``, ``self.limit`` found on the class, not the instance);
2. their fingerprints (``state_fingerprint``) here, inside ``run()``, once the pipeline is
   built;
3. the same fingerprints in two fresh interpreters that import those modules with the
   script's ``sys.path`` and working folder, as a worker imports them;
4. a name whose fresh value is the same in both fresh interpreters (so it does not change
   from run to run, like a timestamp or a process id) and differs from the value here is a
   finding. A name the worker code also writes (a per-worker cache it fills) is not.

Only run when the worker code reads names of the user's modules, so most pipelines pay
nothing; the two interpreters run in parallel, under a deadline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import state_fingerprint
from beam_deps.check.detectors.worker_code import (
    MISSING,
    PayloadCode,
    WorkerFunction,
    attribute_chains,
    closure_value,
)
from beam_deps.check.postprocess import placed_in
from beam_deps.diagnostics import Diagnostic
from beam_deps.pickling.bytecode import MUTATORS, global_mutations
from beam_deps.pickling.locations import is_user_file
from beam_deps.pipeline.loader import CHECK_FLAG

TIMEOUT = 60.0
_MARK = "\x00beam-deps-state\x00"

# Runs in a fresh interpreter: import each module as a worker would, fingerprint each name.
_CHILD = """
import importlib, importlib.util, json, sys
paths, fingerprint_file, reads, preload = json.loads(sys.argv[1])
sys.path[:0] = [p for p in paths if p not in sys.path]
spec = importlib.util.spec_from_file_location("_beam_deps_fingerprint", fingerprint_file)
fp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fp)
out, real_stdout = {}, sys.stdout
sys.stdout = sys.stderr
for module in preload:  # what unpickling the payload imports first on a worker
    try:
        importlib.import_module(module)
    except BaseException:
        pass
for module, path in reads:
    key = module + ":" + ".".join(path)
    try:
        value = importlib.import_module(module)
    except BaseException as exc:
        out[key] = {"error": type(exc).__name__}
        continue
    for attr in path:
        value = getattr(value, attr, fp)
        if value is fp:
            break
    if value is fp:
        out[key] = {"fingerprint": fp.MISSING, "shown": "<missing>"}
    else:
        out[key] = {"fingerprint": fp.fingerprint(value), "shown": fp.shown(value)}
sys.stdout = real_stdout
print(MARK + json.dumps(out))
""".replace("MARK", repr(_MARK))


@dataclass(frozen=True)
class Read:
    """Worker code reading ``module.path`` (a name that comes from a fresh import there)."""

    module: str
    path: tuple[str, ...]
    function: types.FunctionType
    line: int | None
    via: str | None = None  # the worker code's function that calls ``function``

    @property
    def key(self) -> str:
        return f"{self.module}:{'.'.join(self.path)}"

    @property
    def dotted(self) -> str:
        return ".".join((self.module, *self.path))


def _local_module(module: Any, script: Path | None) -> bool:
    """The user's own importable module (the script itself, imported again, is not ours to
    import: it would build its pipeline)."""
    if not isinstance(module, types.ModuleType) or module.__name__ == "__main__":
        return False
    filename = getattr(module, "__file__", None)
    if not filename or not is_user_file(filename):
        return False
    if script is not None and os.path.realpath(filename) == os.path.realpath(script):
        return False
    return sys.modules.get(module.__name__) is module


def _importable(obj: Any, script: Path | None) -> bool:
    """A class or function a worker gets by importing its module (pickled by reference)."""
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    if not _local_module(module, script):
        return False
    found: Any = module
    for part in (getattr(obj, "__qualname__", "") or "").split("."):
        found = getattr(found, part, None)
    return found is obj


def _anchor(
    entry: WorkerFunction, kind: str, name: str, chain: list[str], script: Path | None
) -> tuple[str, list[str], Any, list[str]] | None:
    """(module, path so far, value, attributes left) where a chain starts to come from a
    fresh import on the worker; None when the worker gets it by value (or it is a library's)."""
    fn = entry.function
    if kind == "self":
        instance = entry.instance
        attr, rest = chain[0], chain[1:]
        if attr in getattr(instance, "__dict__", {}):
            return None  # instance state is pickled by value
        for owner in type(instance).__mro__:
            if attr in vars(owner):
                if not _importable(owner, script):
                    return None
                return (
                    owner.__module__,
                    [*owner.__qualname__.split("."), attr],
                    vars(owner)[attr],
                    rest,
                )
        return None
    if kind == "closure":  # a cell travels by value; a module or class in it does not
        value = closure_value(fn, name)
        if value is MISSING:
            return None
        if isinstance(value, types.ModuleType) and _local_module(value, script):
            return value.__name__, [], value, chain
        if isinstance(value, type) and _importable(value, script):
            return value.__module__, value.__qualname__.split("."), value, chain
        return None
    g = fn.__globals__
    if name not in g:
        return None
    value = g[name]
    if isinstance(value, types.ModuleType):
        return (value.__name__, [], value, chain) if _local_module(value, script) else None
    if isinstance(value, type | types.FunctionType):
        if _importable(value, script):
            return value.__module__, value.__qualname__.split("."), value, chain
        if not _importable(fn, script):
            return None  # a class or function of the script, or a library's
    if _importable(fn, script):  # the function's own module is imported afresh there
        return fn.__module__, [name], value, chain
    return None


_CALLED = 3  # levels of the user's module functions followed from the worker code


def _reads(entries: Iterable[WorkerFunction], script: Path | None) -> tuple[list[Read], set[str]]:
    """What the worker code reads from fresh imports, and the keys it writes itself.

    A function of the user's importable modules that the code reaches (``jobcfg.table_for``)
    travels by reference: what it reads of its own module (``ENV``) is the worker's fresh
    value too, so its reads are followed (``_CALLED`` levels deep)."""
    reads: list[Read] = []
    written: set[str] = set()
    todo: list[tuple[WorkerFunction, int, str | None]] = [(e, 0, None) for e in entries]
    followed = {id(entry.function) for entry, _, _ in todo}
    while todo:
        entry, depth, via = todo.pop(0)
        fn = entry.function
        if _importable(fn, script):  # its module's globals, written by the code itself
            for name, _, _ in global_mutations(fn.__code__):
                written.add(f"{fn.__module__}:{name}")
        for kind, name, chain, writes, line in attribute_chains(entry):
            anchored = _anchor(entry, kind, name, chain, script)
            if anchored is None:
                continue
            module, path, value, rest = anchored
            managed = False
            for attr in rest:
                if attr in MUTATORS:
                    writes = True
                    break
                namespace = isinstance(value, types.ModuleType) and _local_module(value, script)
                if not (namespace or (isinstance(value, type) and _importable(value, script))):
                    # an object of the user's class used through its methods manages its own
                    # state (a client that connects lazily): what it holds is its business
                    managed = callable(getattr(type(value), attr, None)) and _importable(
                        type(value), script
                    )
                    break
                value = getattr(value, attr, MISSING)
                path.append(attr)
                if value is MISSING:
                    break
            if not path or managed or isinstance(value, types.ModuleType):
                continue
            if isinstance(value, types.FunctionType) and id(value) not in followed:
                if depth < _CALLED and _importable(value, script):
                    followed.add(id(value))
                    todo.append((WorkerFunction(value), depth + 1, via or fn.__qualname__))
            read = Read(module, tuple(path), fn, line, via)
            if writes:
                written.add(read.key)
            reads.append(read)
    return reads, written


def _here(read: Read) -> tuple[Any, str]:
    value: Any = sys.modules.get(read.module)
    for attr in read.path:
        value = getattr(value, attr, MISSING)
        if value is MISSING:
            return state_fingerprint.MISSING, "<missing>"
    return state_fingerprint.fingerprint(value), state_fingerprint.shown(value)


def fresh_fingerprints(
    reads: list[Read], paths: list[str], runs: int = 2, preload: Iterable[str] = ()
) -> list[dict] | None:
    """Fingerprints of ``reads`` in ``runs`` fresh interpreters (in parallel), or None.

    ``preload``: the modules a worker imports when it unpickles the payloads (the modules of
    the functions and classes that travel by reference), imported first: what they register
    at import into another module's registry is on the worker too (no false BD206)."""
    keys = sorted({(r.module, r.path) for r in reads})
    argument = json.dumps([paths, state_fingerprint.__file__, keys, sorted(set(preload))])
    env = {k: v for k, v in os.environ.items() if k != CHECK_FLAG}  # as on a worker
    env.pop("PYTHONSTARTUP", None)
    procs = []
    for _ in range(runs):
        procs.append(
            subprocess.Popen(  # noqa: S603 - our own interpreter and code
                [sys.executable, "-B", "-c", _CHILD, argument],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
                text=True,
                start_new_session=True,
            )
        )
    results = []
    for proc in procs:
        try:
            out, _ = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            for p in procs:
                _kill(p)
            return None
        marked = [line for line in out.splitlines() if line.startswith(_MARK)]
        if proc.returncode != 0 or not marked:
            return None
        results.append(json.loads(marked[-1][len(_MARK) :]))
    return results


def _kill(proc: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    proc.wait()


def launch_state_diagnostics(code: Iterable[PayloadCode], script: Path | None) -> list[Diagnostic]:
    """BD206 for each name the worker code reads that a worker's fresh import gives another
    value than this process has once the pipeline is built. Call inside ``run()``."""
    per_payload: list[tuple[Any, list[Read]]] = []
    written: set[str] = set()
    for payload, functions in ((c.payload, c.functions) for c in code):
        try:
            reads, writes = _reads(functions, script)
        except Exception:  # noqa: BLE001 - a hostile user object: no finding, no crash
            continue
        written |= writes
        if reads:
            per_payload.append((payload, reads))
    wanted = [r for _, reads in per_payload for r in reads if r.key not in written]
    if not wanted:
        return []
    here = {r.key: _here(r) for r in wanted}
    preload = {r.function.__module__ for r in wanted if _importable(r.function, script)}
    for payload, _ in per_payload:
        for obj in (payload.obj, type(payload.obj)):
            if _importable(obj, script):
                preload.add(obj.__module__)
    fresh = fresh_fingerprints(wanted, [p for p in sys.path if p], runs=2, preload=preload)
    if fresh is None:
        return []
    out: list[Diagnostic] = []
    for payload, reads in per_payload:
        said: set[str] = set()
        for read in reads:
            if read.key in written or read.key in said:
                continue
            first, second = (run.get(read.key) or {} for run in fresh)
            if "fingerprint" not in first or first["fingerprint"] != second.get("fingerprint"):
                continue  # not importable there, or not the same from one import to another
            value, shown = here[read.key]
            if json.loads(json.dumps(value)) == first["fingerprint"]:
                continue
            said.add(read.key)
            out.append(placed_in(_finding(read, shown, first["shown"], payload), payload))
    return out


def _finding(read: Read, here: str, there: str, payload: Any) -> Diagnostic:
    fn = read.function
    there_text = (
        "does not exist on a worker (AttributeError there)"
        if there == "<missing>"
        else f"a worker, which imports {read.module} afresh, sees {there}"
    )
    who = f"{fn.__module__}.{fn.__qualname__}, which {read.via} calls," if read.via else None
    return diagnostic(
        "BD206",
        f"{who or fn.__qualname__} reads {read.dotted}, which is {here} here once the pipeline is "
        f"built, but {there_text}: what was set while building the pipeline never reaches "
        f"the workers, so the results are silently wrong",
        path=f"{payload.name} > {fn.__qualname__}"
        if fn.__qualname__ != payload.name
        else payload.name,
        file=fn.__code__.co_filename,
        line=read.line,
        name=read.dotted,
    )


__all__ = ["Read", "fresh_fingerprints", "launch_state_diagnostics"]
