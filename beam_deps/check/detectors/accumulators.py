"""A CombineFn hands out one shared object as every accumulator (BD315), or a method whose
result Beam reads returns nothing (BD319).

Beam calls ``create_accumulator()`` once per key and bundle and expects a *new* accumulator
each time: ``add_input`` may change it in place (``acc.append(x)``) and
``merge_accumulators`` gets several of them. A ``create_accumulator`` that returns an object
the CombineFn already holds (``return self.empty``, a list made in ``__init__``, a global
list) gives every key and bundle the same object, so the keys' inputs mix and merges count
them twice: silently wrong results, on every runner (the DirectRunner included, where a small
test may still look right).

Reported only where both are certain from the code: the returned value is a list, dict,
set, bytearray or deque the CombineFn object, its class or the module holds (not one the
method makes), and ``add_input`` changes its accumulator argument in place. (Proven on
isolated workers in tests/test_accuracy_elements.py.)

Beam keeps what ``add_input`` returns as the accumulator, and likewise reads what
``create_accumulator``, ``merge_accumulators`` and ``extract_output`` return. An
``add_input`` that appends to its accumulator and forgets ``return acc`` hands None to the
next call ("AttributeError: 'NoneType' object has no attribute 'append'"); an
``extract_output`` without a return makes every result None. Reported where the method has
no ``return`` with a value and its end is reached.

A plain function given to a combine (``beam.CombineGlobally(len)``, ``CombinePerKey(lambda
vs: sum(vs) / len(vs))``) is called with an iterable of inputs and of its own earlier results
(Beam merges partial results with it), never a list: ``len()`` or an index on its argument
fails on the worker ("TypeError: object of type '_ReiterableChain' has no len()"), and a count
or a mean of partial results is not the count or the mean anyway (BD325). Reported for
``len`` itself and for a function of the user's that calls ``len()`` on its argument or
indexes it, where the argument is never rebound.
"""

from __future__ import annotations

import ast
import collections
import inspect
import types
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors.function_source import (
    bindings,
    falls_through,
    function_root,
    line_of,
    own_nodes,
)
from beam_deps.check.detectors.worker_code import MISSING, free_value
from beam_deps.diagnostics import Diagnostic
from beam_deps.pickling.locations import is_user_file

_MUTABLE = (list, dict, set, bytearray, collections.deque)
_IN_PLACE = frozenset(
    {"append", "extend", "insert", "add", "update", "setdefault", "pop", "remove", "clear"}
    | {"appendleft", "extendleft", "discard", "sort", "reverse", "popleft"}
)


def _held(fn: Any, method: types.FunctionType, expr: ast.AST) -> tuple[str, Any]:
    """(how the code names it, the object) for a returned ``self.x``/global/closure name
    that is not made by the method itself; (``""``, MISSING) otherwise."""
    root = function_root(method)
    params = set(method.__code__.co_varnames[: method.__code__.co_argcount])
    assigned = {
        n.id
        for n in (own_nodes(root) if root is not None else ())
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    self_name = method.__code__.co_varnames[0] if method.__code__.co_argcount else None
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        if expr.value.id == self_name and self_name not in assigned:
            state = getattr(fn, "__dict__", {})
            value = (
                state[expr.attr] if expr.attr in state else getattr(type(fn), expr.attr, MISSING)
            )
            return f"self.{expr.attr}", value
        return "", MISSING
    if not isinstance(expr, ast.Name) or expr.id in params or expr.id in assigned:
        return "", MISSING
    return expr.id, free_value(method, expr.id)


def _changes_argument(method: Any, position: int) -> bool:
    """Does ``method`` change its parameter at ``position`` (after self) in place:
    ``acc.append(x)``, ``acc[k] = v``, ``acc[k] += 1``, ``acc += [x]``, ``acc |= {...}``?"""
    if not isinstance(method, types.FunctionType):
        return False
    code = method.__code__
    if code.co_argcount <= position:
        return False
    name = code.co_varnames[position]
    root = function_root(method)
    if root is None:
        return False
    for node in own_nodes(root):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == name
            and node.func.attr in _IN_PLACE
        ):
            return True
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id == name
        ):
            return True
        if isinstance(node, ast.AugAssign):
            target = node.target
            if isinstance(target, ast.Name) and target.id == name:
                return True  # list += / set |= change the object itself
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                if target.value.id == name:
                    return True
    return False


def _shared(fn: Any) -> tuple[str, Any, int] | None:
    """(how the code names it, the shared object, its line) when ``fn.create_accumulator``
    returns one object the CombineFn holds, which ``add_input`` changes in place."""
    cls = type(fn)
    create = getattr(cls, "create_accumulator", None)
    if not isinstance(create, types.FunctionType):
        return None
    root = function_root(create)
    if root is None:
        return None
    returns = [n for n in own_nodes(root) if isinstance(n, ast.Return) and n.value is not None]
    if len(returns) != 1:
        return None
    name, value = _held(fn, create, returns[0].value)
    if value is MISSING or not isinstance(value, _MUTABLE):
        return None
    if not _changes_argument(getattr(cls, "add_input", None), 1):
        return None
    return name, value, line_of(create, returns[0].value)


def user_combines(pipeline: Any) -> list[tuple[Any, Any]]:
    """(node, CombineFn) for each combine (per key or global) of a CombineFn of the user's."""
    from apache_beam.transforms.core import CombineFn, CombineGlobally, CombinePerKey

    found: list[tuple[Any, Any]] = []
    for node in shuffles.nodes_of(pipeline, (CombinePerKey, CombineGlobally), composites=True):
        fn = getattr(node.transform, "fn", None)
        if isinstance(fn, CombineFn) and not shuffles.is_beams(fn):
            found.append((node, fn))
    return found


def shared_accumulator_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD315 for each combine of the user's CombineFn whose accumulators are one shared
    object changed in place."""
    out: list[Diagnostic] = []
    for node, fn in user_combines(pipeline):
        try:
            found = _shared(fn)
        except Exception:  # noqa: BLE001 - a hostile user object: no finding
            continue
        if found is None:
            continue
        name, value, line = found
        where = shuffles.where(node)
        qualname = type(fn).__qualname__
        out.append(
            diagnostic(
                "BD315",
                f"{qualname}.create_accumulator returns {name} (line {line}), one "
                f"{type(value).__name__} the CombineFn holds, for every key and bundle, "
                "and add_input changes it in place: the keys' inputs mix in that one "
                "object and merges count them again, so the results are silently wrong",
                path=f"{where['transform']} > {qualname}.create_accumulator",
                **where,
            )
        )
    return out


# What Beam does with each method's result, and what a None there leads to ({error}: the
# worker's message, named by the first method add_input calls on its accumulator).
_RESULTS = {
    "create_accumulator": ("the new accumulator", "add_input gets None as its accumulator"),
    "add_input": (
        "the accumulator from then on",
        "the next add_input, merge or extract_output gets None",
    ),
    "merge_accumulators": (
        "the merged accumulator",
        "the steps after the merge get None as the accumulator",
    ),
    "extract_output": ("the combine's result", "every result is None, silently"),
}


def _error_on_none(cls: type) -> str:
    """The worker's error when add_input gets None: "AttributeError: 'NoneType' object has
    no attribute 'append'" for ``acc.append(x)``."""
    add = inspect.getattr_static(cls, "add_input", None)
    root = function_root(add) if isinstance(add, types.FunctionType) else None
    code = getattr(add, "__code__", None)
    if root is not None and code is not None and code.co_argcount > 1:
        name = code.co_varnames[1]
        for node in own_nodes(root):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == name
            ):
                return f"AttributeError: 'NoneType' object has no attribute '{node.func.attr}'"
    return "AttributeError: 'NoneType' object has no attribute ..., or a TypeError"


def _uses_accumulator(cls: type) -> bool:
    """``add_input`` changes its accumulator in place and never looks at whether it is
    None (``if acc is None``, ``acc or []``, ``if not acc``) nor sets it anew, so a None
    from ``create_accumulator`` surely fails there."""
    add = inspect.getattr_static(cls, "add_input", None)
    if not _changes_argument(add, 1):
        return False
    name = add.__code__.co_varnames[1]
    root = function_root(add)
    for node in own_nodes(root) if root is not None else ():
        if isinstance(node, ast.Compare) and any(
            isinstance(c, ast.Constant) and c.value is None for c in node.comparators
        ):
            return False
        if isinstance(node, ast.BoolOp | ast.UnaryOp | ast.If | ast.IfExp):
            tested = node.test if isinstance(node, ast.If | ast.IfExp) else node
            if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(tested)):
                return False
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            return False
    return True


def _returns_nothing(method: Any) -> int | None:
    """The ``def`` line of ``method`` when it surely returns None: no ``return`` with a
    value, not a generator, and its end is reached (not only a ``raise``)."""
    if (
        not isinstance(method, types.FunctionType)
        or method.__code__.co_flags & inspect.CO_GENERATOR
    ):
        return None
    if not is_user_file(method.__code__.co_filename):
        return None
    root = function_root(method)
    if not isinstance(root, ast.FunctionDef):
        return None
    if any(isinstance(n, ast.Return) and n.value is not None for n in own_nodes(root)):
        return None
    return line_of(method, root) if falls_through(root.body) else None


def combine_method_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD319 for each method of the user's CombineFn that Beam reads the result of and that
    returns nothing (``add_input`` that appends to the accumulator and does not return
    it)."""
    out: list[Diagnostic] = []
    seen: set[tuple[type, str]] = set()
    for node, fn in user_combines(pipeline):
        for name, (what, outcome) in _RESULTS.items():
            method = inspect.getattr_static(type(fn), name, None)
            try:
                line = _returns_nothing(method)
            except Exception:  # noqa: BLE001 - a hostile user object: no finding
                continue
            if line is None or (type(fn), name) in seen:
                continue
            if name == "create_accumulator" and not _uses_accumulator(type(fn)):
                continue  # None may be the "no value yet" that add_input checks for
            seen.add((type(fn), name))
            where = shuffles.where(node)
            qualname = type(fn).__qualname__
            if name in ("create_accumulator", "add_input"):
                outcome += f' ("{_error_on_none(type(fn))}")'
            out.append(
                diagnostic(
                    "BD319",
                    f"{qualname}.{name} returns nothing (line {line}), but Beam takes what "
                    f"it returns as {what}: {outcome}",
                    path=f"{where['transform']} > {qualname}.{name}",
                    **where,
                )
            )
    return out


def combined_callables(pipeline: Any) -> list[tuple[Any, Any, str]]:
    """(node, the plain callable, the transform's kind) for each outermost combine of a
    callable (CombineGlobally's CombinePerKey inside it is the same combine)."""
    from apache_beam.transforms.core import (
        CallableWrapperCombineFn,
        CombineFn,
        CombineGlobally,
        CombinePerKey,
    )

    out: list[tuple[Any, Any, str]] = []
    seen: set[int] = set()
    for node in shuffles.nodes_of(pipeline, (CombineGlobally, CombinePerKey), composites=True):
        fn = getattr(node.transform, "fn", None)
        if isinstance(fn, CallableWrapperCombineFn):
            fn = fn._fn
        if fn is None or isinstance(fn, CombineFn) or id(fn) in seen:
            continue
        seen.add(id(fn))
        out.append((node, fn, type(node.transform).__name__))
    return out


# library functions whose result of partial results is not the whole's (a mean of means)
_NOT_MERGEABLE = frozenset(
    {"mean", "fmean", "median", "mode", "stdev", "pstdev", "variance", "pvariance", "std"}
    | {"var", "average", "geometric_mean", "harmonic_mean", "median_low", "median_high"}
)


def _reads_as_list(fn: Any) -> tuple[str, int | None] | None:
    """(what the function does to its argument, line) when it takes its length or an item:
    ``len`` itself, or a user function's ``len(values)`` or ``values[0]`` on its first
    parameter, never rebound."""
    if fn is len:
        return "len()", None
    module = getattr(fn, "__module__", None) or ""
    if module.partition(".")[0] in ("statistics", "numpy") and fn.__name__ in _NOT_MERGEABLE:
        return f"{module.partition('.')[0]}.{fn.__name__}()", None
    if not isinstance(fn, types.FunctionType) or not is_user_file(fn.__code__.co_filename):
        return None
    root = function_root(fn)
    code = fn.__code__
    if root is None or code.co_argcount < 1:
        return None
    if code.co_argcount - len(fn.__defaults__ or ()) > 1:
        return None  # needs more arguments than the one iterable: BD323 says so
    values = code.co_varnames[0]
    if bindings(root, values):
        return None
    for node in own_nodes(root):
        argument = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len":
            argument, what = (node.args[0] if len(node.args) == 1 else None), f"len({values})"
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            argument, what = node.value, f"{values}[...]"
        if isinstance(argument, ast.Name) and argument.id == values:
            return what, line_of(fn, node)
    return None


def combine_callable_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD325 for each function given to a combine that reads its argument as a list."""
    out: list[Diagnostic] = []
    for node, fn, kind in combined_callables(pipeline):
        try:
            found = _reads_as_list(fn)
        except Exception:  # noqa: BLE001 - an odd callable: no finding
            continue
        if found is None:
            continue
        what, line = found
        name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "?")
        at = f" (line {line})" if line else ""
        if what.startswith(("len", name)):
            error = "object of type '_ReiterableChain' has no len()"
        else:
            error = "'_ReiterableChain' object is not subscriptable"
        outcome = (
            f'{what}{at} fails on the worker ("TypeError: {error}")'
            if not what.startswith(("statistics.", "numpy."))
            else f"{what} of partial results is computed again over them, silently"
        )
        where = shuffles.where(node)
        out.append(
            diagnostic(
                "BD325",
                f"{name} is given to {kind}, which calls it with an iterable of inputs and of "
                f"its own earlier results, not a list: {outcome}, and a count or a mean of "
                "partial results would not be the whole's",
                path=f"{where['transform']} > {name}",
                **where,
            )
        )
    return out


__all__ = [
    "combine_callable_diagnostics",
    "combined_callables",
    "combine_method_diagnostics",
    "shared_accumulator_diagnostics",
]
