"""A URL with a password carried in a payload (BD110): ``postgresql://user:pw@host``.

The inspector's secret scan (``pickling``) knows credentials by shape, by environment value
and by a secret's name, but takes a URL for the place a secret is kept, not for a secret.
One with ``user:password@`` in it is both: whoever reads the job graph (runner UIs, logs,
templates) can log in. This detector looks for such URLs in the strings the user's payload
objects hold (their attributes, closures, defaults, the globals their code reads, and the
containers in those, a bounded walk), and names where, with the password masked.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.diagnostics import Diagnostic
from beam_deps.redaction import shown_url, url_passwords

_BUDGET = 400  # objects per payload: a bounded walk, never the whole graph
_DEPTH = 6


def secret_urls(analyses: Iterable[Any]) -> list[Diagnostic]:
    """BD110 for each payload (``PipelineAnalysis.serialized.payloads``) holding a URL with
    a real password (placeholders such as ``%(password)s`` or ``****`` are not secrets)."""
    from beam_deps.check.postprocess import placed_in

    out: list[Diagnostic] = []
    for analysis in analyses:
        for payload in analysis.serialized.payloads:
            if payload.duplicate_of is not None:
                continue
            for path, match in _found(payload.obj, payload.name or "payload"):
                d = diagnostic(
                    "BD110",
                    f"a URL with a password ({shown_url(match)}...) is in the payload",
                    path=path,
                )
                out.append(placed_in(d, payload))
    return out


def _roots(obj: Any, name: str) -> list[tuple[str, Any]]:
    """The user's objects in what Beam pickles: a ParDo's (fn, args, kwargs, side inputs,
    windowing) tuple starts from the DoFn, or from the function a Map/FlatMap wraps."""
    from beam_deps.pipeline.payloads import user_code

    try:
        from apache_beam.transforms.core import DoFn
    except ImportError:  # pragma: no cover - Beam is there whenever a payload is
        return [(name, obj)]
    if isinstance(obj, tuple) and len(obj) == 5 and isinstance(obj[0], DoFn):
        fn, args, kwargs = obj[0], obj[1], obj[2]
        first = user_code(fn)
        roots = [(name, first)]
        roots += [(f"{name}.args[{i}]", a) for i, a in enumerate(args or ())]
        roots += [(f"{name}.kwargs[{k!r}]", v) for k, v in (kwargs or {}).items()]
        return roots
    return [(name, obj)]


def _found(obj: Any, name: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    seen: set[int] = set()
    queue: list[tuple[str, Any, int]] = [(path, o, 0) for path, o in _roots(obj, name)]
    while queue and len(seen) < _BUDGET:
        path, o, depth = queue.pop(0)
        if id(o) in seen:
            continue
        seen.add(id(o))
        if type(o) is str:
            if "://" in o and "@" in o:
                out.extend((path, m) for m in url_passwords(o)[:1])
            continue
        if depth >= _DEPTH:
            continue
        queue.extend((p, child, depth + 1) for p, child in _children(o, path))
    return out


def _children(o: Any, path: str) -> list[tuple[str, Any]]:
    if isinstance(o, type):
        return _class_children(o, path)
    if isinstance(o, (int, float, bool, bytes, type(None), types.ModuleType)):
        return []
    if isinstance(o, dict):
        items = list(o.items())[:200]
        keys = [(f"{path}<key>", k) for k, _ in items if type(k) is str]
        return keys + [(f"{path}[{k!r}]", v) for k, v in items if _plain_key(k)]
    if isinstance(o, (list, tuple, set, frozenset)):
        return [(f"{path}[{i}]", v) for i, v in enumerate(list(o)[:200])]
    if isinstance(o, types.FunctionType):
        return _function_children(o, path)
    if isinstance(o, types.MethodType):
        return [(path, o.__self__), (path, o.__func__)]
    if isinstance(o, functools_partial()):
        return [(f"{path}.func", o.func)] + [(f"{path}.args[{i}]", a) for i, a in enumerate(o.args)]
    out: list[tuple[str, Any]] = [(path, type(o))]  # a class of the user's travels by value
    state = getattr(o, "__dict__", None)
    if isinstance(state, dict):
        out += [(f"{path}.{k}", v) for k, v in list(state.items())[:200] if isinstance(k, str)]
    return out


def _class_children(cls: type, path: str) -> list[tuple[str, Any]]:
    """The methods (and class attributes) of a class written in the user's files: the
    pickler carries its code, and the globals that code reads, by value."""
    from beam_deps.pickling.locations import is_user_file

    try:
        members = dict(vars(cls))
    except TypeError:
        return []
    functions = {
        k: getattr(v, "__func__", v)
        for k, v in members.items()
        if isinstance(getattr(v, "__func__", v), types.FunctionType)
    }
    if not any(is_user_file(f.__code__.co_filename) for f in functions.values()):
        return []
    out = [(f"{path}.{k}", f) for k, f in functions.items()]
    out += [(f"{path}.{k}", v) for k, v in members.items() if type(v) is str]
    return out


def _plain_key(key: Any) -> bool:
    return isinstance(key, (str, int, float, bool))


def _function_children(fn: types.FunctionType, path: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    code = fn.__code__
    for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
        try:
            out.append((f"{path} closure '{name}'", cell.cell_contents))
        except ValueError:
            continue
    names = code.co_varnames[: code.co_argcount][-len(fn.__defaults__ or ()) :]
    out += [(f"{path} default '{n}'", v) for n, v in zip(names, fn.__defaults__ or ())]
    out += [(f"{path} default '{n}'", v) for n, v in (fn.__kwdefaults__ or {}).items()]
    globs = fn.__globals__
    for name in _global_names(code):
        if name in globs:
            out.append((f"{path} global '{name}'", globs[name]))
    return out


def _global_names(code: types.CodeType) -> list[str]:
    names = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.extend(_global_names(const))
    return names


def functools_partial() -> type:
    import functools

    return functools.partial


__all__ = ["secret_urls"]
