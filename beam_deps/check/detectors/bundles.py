"""A DoFn's ``finish_bundle`` emits plain values (BD320).

Elements that ``process`` emits get the window and timestamp of the element being processed;
``finish_bundle`` runs after the bundle's last element, when there is none, so Beam requires
each value it emits to be a ``WindowedValue`` that says its own window and timestamp
(``GlobalWindows.windowed_value(v)``, ``WindowedValue(v, ts, [window])``). A batching DoFn
that buffers elements in ``process`` and yields the batch, or its items, from
``finish_bundle`` fails on the worker when the bundle ends: "RuntimeError: Finish Bundle
should only output WindowedValue type but got <class 'str'>". A test of ``process`` alone
passes.

Claimed where a value ``finish_bundle`` yields (or returns in a list) surely is a plain
value: a literal or display, an f-string, a join or another call that makes text, numbers or
containers, the DoFn's buffer itself (``yield self.batch``), or an item of that buffer when
everything the DoFn appends to it is a plain value (``self.batch.append(element)``).
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

import ast
import inspect
import types
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors.function_source import (
    called_name,
    element_parameter,
    function_root,
    line_of,
    own_nodes,
    self_attribute,
)
from beam_deps.diagnostics import Diagnostic
from beam_deps.pickling.locations import is_user_file

_PLAIN_CALLS = frozenset(
    {"str", "int", "float", "len", "sorted", "list", "tuple", "dict", "set", "sum"}
    | {"max", "min", "repr", "bytes", "round", "abs", "bool"}
)
_PLAIN_METHODS = frozenset({"join", "format", "dumps", "upper", "lower", "strip", "encode"})
_WINDOWED = frozenset({"WindowedValue", "windowed_value", "with_value"})
_DISPLAYS = (ast.List, ast.Dict, ast.Set, ast.Tuple)


def _user_methods(cls: type) -> list[types.FunctionType]:
    methods = []
    for klass in cls.__mro__:
        for value in vars(klass).values():
            if isinstance(value, types.FunctionType) and is_user_file(value.__code__.co_filename):
                methods.append(value)
    return methods


class _Buffers:
    """The DoFn's buffers: ``self.X`` set to a display somewhere, and what is appended to
    each."""

    def __init__(self, cls: type) -> None:
        self.displays: set[str] = set()
        # what is appended to each buffer, with the element parameter of the method that
        # appends it (process's first argument; None elsewhere)
        self.appended: dict[str, list[tuple[ast.AST, str | None]]] = {}
        self.makes_windowed = False  # then a buffered name may hold a WindowedValue
        for method in _user_methods(cls):
            root = function_root(method)
            element = element_parameter(method) if method.__name__ == "process" else None
            for node in own_nodes(root) if root is not None else ():
                if isinstance(node, ast.Call) and called_name(node) in _WINDOWED:
                    self.makes_windowed = True
                if isinstance(node, ast.Assign) and isinstance(node.value, _DISPLAYS):
                    for target in node.targets:
                        if (name := self_attribute(target)) is not None:
                            self.displays.add(name)
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("append", "extend", "add")
                    and (name := self_attribute(node.func.value)) is not None
                ):
                    items = node.args[:1]
                    if node.func.attr == "extend":  # its items are the argument's items
                        items = [_Unknown()] if items else []
                    self.appended.setdefault(name, []).extend((i, element) for i in items)


class _Unknown(ast.AST):
    """What cannot be read: never plain."""


def _plain(expr: ast.AST, buffers: _Buffers, loops: dict[str, ast.AST], depth: int = 0) -> bool:
    """``expr`` surely is not a WindowedValue."""
    if depth > 3 or isinstance(expr, _Unknown):
        return False
    if isinstance(expr, (ast.Constant, ast.JoinedStr, ast.BinOp, *_DISPLAYS)):
        return True
    if isinstance(expr, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
        return True
    if isinstance(expr, ast.Call):
        name = called_name(expr)
        if name in _WINDOWED:
            return False
        if name == "TaggedOutput" and len(expr.args) == 2:
            return _plain(expr.args[1], buffers, loops, depth + 1)
        if isinstance(expr.func, ast.Name):
            return name in _PLAIN_CALLS
        return name in _PLAIN_METHODS
    if (name := self_attribute(expr)) is not None:
        return name in buffers.displays
    iterable = expr.iterable if isinstance(expr, _ItemOf) else None
    if isinstance(expr, ast.Name) and expr.id in loops:
        iterable = loops[expr.id]
    if iterable is not None:
        source = self_attribute(iterable)
        appended = buffers.appended.get(source or "", [])
        return bool(appended) and all(
            (isinstance(a, ast.Name) and a.id == element and not buffers.makes_windowed)
            or (not isinstance(a, ast.Name) and _plain(a, buffers, {}, depth + 1))
            for a, element in appended
        )
    return False


class _ItemOf(ast.AST):
    """An item of ``iterable`` (what ``yield from iterable`` emits)."""

    def __init__(self, iterable: ast.AST) -> None:
        super().__init__()
        self.iterable = iterable


def _emitted(root: ast.AST, generator: bool) -> list[ast.AST]:
    if generator:
        found: list[ast.AST] = []
        for n in own_nodes(root):
            if isinstance(n, ast.Yield) and n.value is not None:
                found.append(n.value)
            elif isinstance(n, ast.YieldFrom):
                found.append(_ItemOf(n.value))
        return found
    found: list[ast.AST] = []
    for node in own_nodes(root):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.List | ast.Tuple):
            found.extend(node.value.elts)
    return found


def _plain_output(dofn: Any) -> tuple[types.FunctionType, ast.AST] | None:
    method = inspect.getattr_static(type(dofn), "finish_bundle", None)
    if not isinstance(method, types.FunctionType) or not is_user_file(method.__code__.co_filename):
        return None
    root = function_root(method)
    if root is None:
        return None
    loops = {
        node.target.id: node.iter
        for node in own_nodes(root)
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name)
    }
    buffers = _Buffers(type(dofn))
    generator = bool(method.__code__.co_flags & inspect.CO_GENERATOR)
    for expr in _emitted(root, generator):
        if _plain(expr, buffers, loops):
            return method, expr
    return None


def _global_window_output(dofn: Any) -> tuple[types.FunctionType, ast.AST] | None:
    """A value ``finish_bundle`` emits into the global window: ``WindowedValue(v, ts,
    [GlobalWindow()])`` or ``GlobalWindows.windowed_value(v)`` (BD320's own fix)."""
    method = inspect.getattr_static(type(dofn), "finish_bundle", None)
    if not isinstance(method, types.FunctionType) or not is_user_file(method.__code__.co_filename):
        return None
    root = function_root(method)
    generator = bool(method.__code__.co_flags & inspect.CO_GENERATOR)
    guarded = _window_tested(root) if root is not None else set()
    for expr in _emitted(root, generator) if root is not None else ():
        if not isinstance(expr, ast.Call) or id(expr) in guarded:
            continue
        name = called_name(expr)
        if name == "windowed_value" and "GlobalWindows" in ast.unparse(expr.func):
            return method, expr
        windows = expr.args[2:3] + [k.value for k in expr.keywords if k.arg == "windows"]
        if name == "WindowedValue" and any(
            isinstance(n, ast.Call) and called_name(n) == "GlobalWindow"
            for w in windows
            for n in ast.walk(w)
        ):
            return method, expr
    return None


def _window_tested(root: ast.AST) -> set[int]:
    """The ids of the nodes under an ``if``/conditional whose test names a window class
    (``if isinstance(w, GlobalWindow):``), or in a windows list with a fallback
    (``[self.window or GlobalWindow()]``): a DoFn that handles either windowing."""
    out: set[int] = set()
    for node in ast.walk(root):
        if isinstance(node, ast.If | ast.IfExp):
            test = ast.unparse(node.test)
            if "Window" in test or "window" in test:
                out.update(id(n) for n in ast.walk(node))
        elif isinstance(node, ast.Call) and called_name(node) == "WindowedValue":
            windows = node.args[2:3] + [k.value for k in node.keywords if k.arg == "windows"]
            if any(isinstance(n, ast.BoolOp | ast.IfExp) for w in windows for n in ast.walk(w)):
                out.add(id(node))
    return out


def _interval_windows(node: Any) -> Any | None:
    """The input's WindowFn when it is one of Beam's whose windows are intervals (fixed,
    sliding, sessions): the output's window coder then takes no global window."""
    from apache_beam.transforms.window import FixedWindows, Sessions, SlidingWindows

    inputs = list(getattr(node, "main_inputs", {}).values()) or list(node.inputs)[:1]
    windowfn = getattr(getattr(inputs[0], "windowing", None), "windowfn", None) if inputs else None
    return windowfn if type(windowfn) in (FixedWindows, Sessions, SlidingWindows) else None


def _global_window_finding(node: Any, dofn: Any) -> Diagnostic | None:
    """BD337 for a DoFn whose finish_bundle emits into the global window while its input
    is in windows of intervals."""
    windowfn = _interval_windows(node)
    found = _global_window_output(dofn) if windowfn is not None else None
    if found is None:
        return None
    method, expr = found
    where = shuffles.where(node)
    return diagnostic(
        "BD337",
        f"{method.__qualname__} emits {_short(ast.unparse(expr))} (line {line_of(method, expr)})"
        f" into the global window, but the step's input is in {type(windowfn).__name__}, so "
        "its output's window coder encodes interval windows only: the worker fails when the "
        'bundle ends, "TypeError: Cannot convert GlobalWindow to '
        'apache_beam.utils.windowed_value._IntervalWindowBase"',
        path=f"{where['transform']} > {method.__qualname__}",
        **where,
    )


def _short(text: str) -> str:
    return text if len(text) <= 50 else text[:47] + "..."


def finish_bundle_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD320 for each DoFn of the user's whose ``finish_bundle`` emits plain values; BD337
    for one that emits into the global window while its input is windowed."""
    out: list[Diagnostic] = []
    seen: set[type] = set()
    for node, target in shuffles.user_transforms(pipeline):
        if isinstance(target, types.FunctionType) or type(target) in seen:
            continue
        try:
            found = _plain_output(target)
            windowed = None if found else _global_window_finding(node, target)
        except Exception:  # noqa: BLE001 - a hostile user object: no finding, no crash
            continue
        if windowed is not None:
            seen.add(type(target))
            out.append(windowed)
            continue
        if found is None:
            continue
        seen.add(type(target))
        method, expr = found
        text = ast.unparse(expr.iterable if isinstance(expr, _ItemOf) else expr)
        text = f"the items of {text}" if isinstance(expr, _ItemOf) else text
        text = _short(text)
        line = line_of(method, expr.iterable if isinstance(expr, _ItemOf) else expr)
        where = shuffles.where(node)
        out.append(
            diagnostic(
                "BD320",
                f"{method.__qualname__} emits {text} (line {line}), a plain value, but "
                "finish_bundle runs after the bundle's last element, with no window or "
                "timestamp to give it, so Beam requires a WindowedValue there: the worker "
                'fails when the bundle ends, "RuntimeError: Finish Bundle should only '
                'output WindowedValue type but got ..."',
                path=f"{where['transform']} > {method.__qualname__}",
                **where,
            )
        )
    return out


__all__ = ["finish_bundle_diagnostics"]
