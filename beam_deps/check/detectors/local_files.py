"""Code that runs on the worker opens a file by a path of the submitting machine (BD114).

``open("lookup.csv")`` in a DoFn's ``setup()`` works on the DirectRunner, whose workers run
in this process, in this folder. A worker on a cluster (and Beam's subprocess and container
workers) starts in its own folder on its own machine: ``FileNotFoundError``, minutes after
submission.

Sound by construction, nothing is guessed from names:

* only code the worker runs (``worker_code.worker_functions``: ``setup``, ``process``,
  ``start_bundle``... and what they call; never ``__init__``, which runs here);
* only these openers, resolved through the function's own globals and imports: ``open``
  (``builtins``, ``io``, ``codecs``) for reading, ``pathlib.Path(...).open/read_text/
  read_bytes``, ``pandas.read_*`` and ``numpy.load/loadtxt/genfromtxt/fromfile``;
* only a path whose value is in the payload: a string constant of the code, a variable the
  function assigns once from such a value, a string (or ``Path``) attribute of the DoFn
  (a constructor argument stored on it), a global string of the function, a variable of its
  closure (``args.lookup`` read into a local of ``run()``), an argument Beam passes an entry
  point (``Map(fn, path=...)``, ``ParDo(Fn(), path)``, or the parameter's default), and
  ``os.path.join``/``Path(...)``/``/`` of those; in a helper of the user's, what its caller
  passes it (``open_file(PACKAGE_JSON, "r")``, two calls deep);
* only a path that exists here and would not on a worker: a relative one (workers do not
  start in this folder), or an absolute one in this machine's home, working, script or
  temporary folder (not in the interpreter's or an installed package's folders).

Severity per runner: a relative path is an error (every worker outside this process has
its own working folder); an absolute path is an error on a runner that starts workers on
other machines (Dataflow, a portable runner with Docker) and a warning where workers are
local processes, for which it happens to work.

A file-based source's pattern (``ReadFromText("data.csv")``) is the same mistake without an
error: the worker's match finds nothing and the read is empty (``source_file_diagnostics``).

Runs inside ``run()``: the working folder is the script's, as when it opens the file.
"""

from __future__ import annotations

import ast
import functools
import glob
import inspect
import os
import pathlib
import sys
import tempfile
import types
from collections.abc import Iterable, Iterator
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors.worker_code import (
    MISSING,
    PayloadCode,
    WorkerFunction,
    free_value,
    is_user_function,
)
from beam_deps.check.postprocess import placed_in
from beam_deps.diagnostics import Diagnostic

_OPEN = frozenset({"builtins.open", "io.open", "_io.open", "codecs.open"})
_NUMPY = frozenset({"load", "loadtxt", "genfromtxt", "fromfile"})
_PATH_READERS = frozenset({"read_text", "read_bytes", "open"})
_JOIN = frozenset({"os.path.join", "posixpath.join", "ntpath.join"})
_PATH = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"})
# environments whose workers start in a folder of their own (besides a container's)
_APART = ("PROCESS", "EXTERNAL", "BEAM:ENV:PROCESS:V1", "BEAM:ENV:EXTERNAL:V1")
_APART += ("BEAM:ENV:HARNESS_SUBPROCESS_PYTHON:V1",)
_PASSED = 2  # calls through which a path passed to a user's helper is followed
_SYSTEM = ("/usr/", "/etc/", "/proc/", "/sys/", "/dev/", "/opt/", "/var/lib/")


@functools.lru_cache(maxsize=64)
def _tree(filename: str, mtime: float) -> ast.Module | None:
    try:
        with open(filename, encoding="utf-8") as handle:
            return ast.parse(handle.read(), filename)
    except (OSError, SyntaxError, ValueError):
        return None


def _node_of(fn: types.FunctionType) -> ast.AST | None:
    """The function's definition in its source file (decorators count for its first line)."""
    code = fn.__code__
    try:
        tree = _tree(code.co_filename, os.path.getmtime(code.co_filename))
    except OSError:
        return None
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == code.co_name:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if first == code.co_firstlineno:
                return node
        elif (
            isinstance(node, ast.Lambda)
            and code.co_name == "<lambda>"
            and node.lineno == code.co_firstlineno
        ):
            return node
    return None


class _Scope:
    """What the names of one worker function mean, from the function object itself."""

    def __init__(self, entry: WorkerFunction, node: ast.AST) -> None:
        self.entry = entry
        self.globals = entry.function.__globals__
        self.imports: dict[str, str] = {}  # alias -> dotted name, imports inside the function
        self.assigned: dict[str, list[ast.AST | None]] = {}
        args = getattr(node, "args", None)
        params = set()
        if args is not None:
            for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                if a is not None:
                    params.add(a.arg)
        self.params = params
        single: dict[int, ast.AST] = {}  # Name node -> value, for `name = value`
        for sub in ast.walk(node):
            if isinstance(sub, ast.Import):
                for alias in sub.names:
                    top = alias.name.split(".")[0]
                    self.imports[alias.asname or top] = alias.name if alias.asname else top
            elif isinstance(sub, ast.ImportFrom) and not sub.level and sub.module:
                for alias in sub.names:
                    self.imports[alias.asname or alias.name] = f"{sub.module}.{alias.name}"
            elif (
                isinstance(sub, ast.Assign)
                and len(sub.targets) == 1
                and isinstance(sub.targets[0], ast.Name)
            ):
                single[id(sub.targets[0])] = sub.value
        for sub in ast.walk(node):  # every binding; only `name = value` keeps its value
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
                self.assigned.setdefault(sub.id, []).append(single.get(id(sub)))

    def dotted(self, node: ast.AST) -> str | None:
        """``pd.read_csv`` -> ``pandas.read_csv``: what a callee names, by the real objects."""
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        if not isinstance(node, ast.Name) or node.id in self.params:
            return None
        if node.id in self.imports:
            return self.imports[node.id]
        if node.id in self.assigned:
            return None
        if node.id in self.globals:
            value = self.globals[node.id]
            if isinstance(value, types.ModuleType):
                return value.__name__
            module = getattr(value, "__module__", None)
            name = getattr(value, "__qualname__", None)
            return f"{module}.{name}" if isinstance(module, str) and name else None
        return f"builtins.{node.id}"

    def held(self, name: str) -> Any:
        """What a free name of the function holds: a closure's cell (pickled with it, as
        ``lookup`` read from ``args`` in ``run()``), else the global."""
        value = free_value(self.entry.function, name)
        return None if value is MISSING else value

    def value(self, node: ast.AST | None, depth: int = 0) -> str | pathlib.PurePath | None:
        """The path an expression stands for, when the payload holds it; else None."""
        if node is None or depth > 8:
            return None
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.Name):
            if node.id in self.imports:
                return None
            if node.id in self.assigned:
                values = self.assigned[node.id]
                return self.value(values[0], depth + 1) if len(values) == 1 else None
            if node.id in self.params:  # what Beam passes it (Map(fn, path=...)), or None
                return _as_path(self.entry.arguments.get(node.id))
            return _as_path(self.held(node.id))
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == self.entry.self_name
            and node.value.id not in self.assigned
        ):
            state = getattr(self.entry.instance, "__dict__", {})
            if node.attr in state:
                return _as_path(state[node.attr])
            return _as_path(getattr(type(self.entry.instance), node.attr, None))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            name = node.value.id  # ``args.lookup``: an attribute of an object the code holds
            if name in self.params or name in self.imports or name in self.assigned:
                return None
            held = self.held(name)
            if isinstance(held, type | types.ModuleType):  # a module's may change at launch
                return None
            return _as_path(getattr(held, "__dict__", {}).get(node.attr))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left = self.value(node.left, depth + 1)
            right = self.value(node.right, depth + 1)
            if isinstance(left, pathlib.PurePath) and right is not None:
                return left / right
            return None
        if isinstance(node, ast.Call) and not node.keywords:
            callee = self.dotted(node.func)
            parts = [self.value(a, depth + 1) for a in node.args]
            if not parts or any(p is None for p in parts):
                return None
            if callee in _JOIN:
                return os.path.join(*map(str, parts))
            if callee in _PATH:
                return pathlib.Path(*parts)
            if callee in ("builtins.str", "os.fspath") and len(parts) == 1:
                return str(parts[0])
        return None


def _as_path(value: Any) -> str | pathlib.PurePath | None:
    return value if isinstance(value, str | pathlib.PurePath) else None


def _read_mode(scope: _Scope, call: ast.Call, position: int) -> bool:
    """Does this ``open`` read an existing file? Only a mode the payload holds can say so."""
    mode: ast.AST | None = call.args[position] if len(call.args) > position else None
    for keyword in call.keywords:
        if keyword.arg == "mode":
            mode = keyword.value
    if mode is None:
        return True
    value = scope.value(mode)
    if not isinstance(value, str):
        return False
    return not set(value) & set("wax")


def _opened(scope: _Scope, call: ast.Call) -> tuple[str, Any] | None:
    """(how, path) when ``call`` opens a file for reading by a path the payload holds."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _PATH_READERS:
        target = scope.value(func.value)
        if isinstance(target, pathlib.PurePath) and (
            func.attr != "open" or _read_mode(scope, call, 0)
        ):
            return f"Path.{func.attr}()", target
    callee = scope.dotted(func)
    if callee is None or not call.args:
        return None
    top, last = callee.split(".")[0], callee.rsplit(".", 1)[-1]
    if callee in _OPEN and _read_mode(scope, call, 1):
        how = "open()" if callee == "builtins.open" else f"{callee}()"
    elif top == "pandas" and last.startswith("read_"):
        how = f"pandas.{last}()"
    elif top == "numpy" and last in _NUMPY:
        how = f"numpy.{last}()"
    else:
        return None
    path = scope.value(call.args[0])
    return (how, path) if path is not None else None


def _under(path: str, folders: Iterable[str]) -> bool:
    return any(f and path.startswith(os.path.join(f, "")) for f in folders)


@functools.lru_cache(maxsize=1)
def _installed_folders() -> tuple[str, ...]:
    import site
    import sysconfig

    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    folders.update(sysconfig.get_paths().values())
    try:
        folders.update(site.getsitepackages())
    except AttributeError:  # pragma: no cover - old virtualenv
        pass
    return tuple(os.path.realpath(f) for f in folders if f)


def _local_only(path: str, script_dir: str | None) -> bool:
    """An absolute path that names this machine's user files, which no worker has."""
    real = os.path.realpath(path)
    if real.startswith(_SYSTEM) or _under(real, _installed_folders()):
        return False
    if any(part in ("site-packages", "dist-packages") for part in real.split(os.sep)):
        return False
    mine = [os.path.expanduser("~"), os.getcwd(), script_dir or "", tempfile.gettempdir()]
    return _under(real, [os.path.realpath(m) for m in mine if m and m != os.sep])


def _passed(scope: _Scope, node: ast.AST, depth: int) -> Iterator[tuple]:
    """The local opens of the user's helpers this function passes a path to
    (``open_file(PACKAGE_JSON, "r")`` where ``open_file`` calls ``open(filename, mode)``),
    found at the call, as the helper's opens with what is passed bound to its parameters."""
    for call in ast.walk(node):
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
            continue
        name = call.func.id
        if name in scope.params or name in scope.assigned or name in scope.imports:
            continue
        helper = scope.held(name)
        if not is_user_function(helper):
            continue
        values = [scope.value(a) for a in call.args if not isinstance(a, ast.Starred)]
        named = {k.arg: scope.value(k.value) for k in call.keywords if k.arg}
        try:
            bound = inspect.signature(helper).bind_partial(*values, **named).arguments
        except (TypeError, ValueError):
            continue
        bound = {k: v for k, v in bound.items() if v is not None}
        if not any(isinstance(v, str | pathlib.PurePath) for v in bound.values()):
            continue
        for _, how, text, here, relative in _findings(
            WorkerFunction(helper, None, bound), depth + 1
        ):
            yield call.lineno, f"{helper.__qualname__}() (which calls {how})", text, here, relative


def _findings(entry: WorkerFunction, depth: int = 0) -> Iterator[tuple[int, str, str, str, bool]]:
    """(line, how, path as written, where it is here, relative?) for each local open."""
    node = _node_of(entry.function)
    if node is None:
        return
    scope = _Scope(entry, node)
    found_here = list(_passed(scope, node, depth)) if depth < _PASSED else []
    yield from found_here
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        found = _opened(scope, call)
        if found is None:
            continue
        how, value = found
        text = os.fspath(value)
        if not text or "://" in text:
            continue
        expanded = os.path.expanduser(text)
        relative = not os.path.isabs(expanded)
        here = os.path.abspath(expanded)
        if not os.path.exists(here):
            continue
        if relative or _local_only(here, None):
            yield call.lineno, how, text, here, relative


def _guarded(
    functions: list[WorkerFunction],
) -> list[tuple[WorkerFunction, int, str, str, str, bool]]:
    """Every finding of one payload; a user object that breaks our reading of it (a hostile
    ``__getattr__``, an odd descriptor) yields nothing rather than stopping the check."""
    try:
        return [(e, *f) for e in functions for f in _findings(e)]
    except Exception:  # noqa: BLE001 - user objects raise anything
        return []


def local_file_diagnostics(code: Iterable[PayloadCode], options: Any) -> list[Diagnostic]:
    """BD114 for each worker-side open of a path that only the submitting machine has.
    Call inside ``run()``: a relative path means the script's working folder then."""
    from beam_deps.environment.workers import runner_starts_image

    elsewhere = runner_starts_image(options.get_all_options(drop_default=False))
    out: list[Diagnostic] = []
    for payload, functions in ((c.payload, c.functions) for c in code):
        for entry, line, how, text, _, relative in _guarded(functions):
            fn = entry.function
            if relative:
                why = (
                    "a path relative to the folder the pipeline is started from, where the "
                    "file is; a worker runs in its own working folder"
                )
            elif elsewhere:
                why = "a file of this machine; the workers of this runner run on other machines"
            else:
                why = (
                    "a file of this machine: it works only while the workers run on this "
                    "machine, as this runner's do"
                )
            qualname = fn.__qualname__
            d = diagnostic(
                "BD114",
                f"FileNotFoundError: [Errno 2] No such file or directory: {text!r} on the "
                f"worker: {qualname} opens it with {how}, {why}",
                severity=None if relative or elsewhere else "warning",
                path=f"{payload.name} > {qualname}" if qualname != payload.name else payload.name,
                file=fn.__code__.co_filename,
                line=line,
                opened=text,
            )
            out.append(placed_in(d, payload))
    return out


def source_file_diagnostics(pipeline: Any, options: Any) -> list[Diagnostic]:
    """BD114 for each file-based source (``ReadFromText``, ``ReadFromAvro``,
    ``ReadFromParquet``...) whose pattern is a path of this machine: Beam checks it here, when
    the pipeline is built, but the worker matches it again where it reads, in its own working
    folder or on its own machine. There nothing matches, and the read gives no element at all:
    the job succeeds with empty results. Claimed only where the runner starts its workers
    apart (a container, Dataflow, a PROCESS or EXTERNAL environment): the DirectRunner's
    workers read in this folder, where a relative path works."""
    from apache_beam.io.filebasedsource import FileBasedSource
    from apache_beam.io.iobase import Read

    from beam_deps.check.detectors.shuffle_inputs import nodes_of, where
    from beam_deps.check.detectors.text_inputs import pattern_of
    from beam_deps.environment.workers import runner_starts_image

    given = options.get_all_options(drop_default=False)
    elsewhere = runner_starts_image(given)
    environment = str(given.get("environment_type") or "").upper()
    # the DirectRunner (the default), Prism and LOOPBACK read in this process or its children,
    # in this folder: there a relative path works
    apart = elsewhere or environment in _APART
    out: list[Diagnostic] = []
    if not apart:
        return out
    for node in nodes_of(pipeline, Read, composites=True):
        source = getattr(node.transform, "source", None)
        if not isinstance(source, FileBasedSource):
            continue
        pattern = pattern_of(source)
        if not isinstance(pattern, str) or "://" in pattern or not glob.glob(pattern):
            continue
        relative = not os.path.isabs(os.path.expanduser(pattern))
        if not relative and not _local_only(os.path.expanduser(pattern), None):
            continue
        if not relative and not elsewhere:
            continue  # workers on this machine read it: it works there
        at = where(node)
        why = (
            "a path relative to the folder the pipeline is started from; the worker matches "
            "it in its own working folder"
            if relative
            else "a file of this machine; the workers of this runner run on other machines"
        )
        out.append(
            diagnostic(
                "BD114",
                f"{at['transform']} reads {pattern!r}, {why}, where nothing matches: the read "
                "gives no element and the job succeeds with empty results",
                path=f"{at['transform']} > {pattern}",
                opened=pattern,
                **at,
            )
        )
    return out


__all__ = ["local_file_diagnostics", "source_file_diagnostics"]
