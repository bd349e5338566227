"""A Map whose function returns nothing, read by a later step; a Filter whose function
returns nothing, which drops every element (BD334).

``beam.Map`` emits exactly one element per input: whatever the function returns. A function
that only has an effect (``print``, ``logging.info``, ``rows.append``) returns None, so
``| beam.Map(print) | beam.io.WriteToText(...)`` writes the text "None" once per element, and
a step after it that reads the element fails on None. At the end of a chain nothing reads
those Nones, which is how ``beam.Map(print)`` is meant to be used, so only a Map whose
output a later step reads is reported.

Decided from the function itself: ``print`` and the logging functions, a lambda whose body
is a call of one of those or of a list's, set's or dict's mutating method (``append``,
``add``, ``update``...), a ``def`` that never returns a value (and is not a generator).
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

import ast
import builtins
import collections
import inspect
import logging
import types
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors import value_types
from beam_deps.check.detectors.function_source import function_root, own_nodes
from beam_deps.check.detectors.worker_code import MISSING, closure_value
from beam_deps.diagnostics import Diagnostic

_LOGGING = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
# Methods that change their object and return None (never ``pop``, ``get``, ``setdefault``).
_MUTATORS = frozenset(
    {"append", "extend", "insert", "add", "update", "discard", "remove", "clear", "sort"}
)


def _returns_none(fn: Any) -> str | None:
    """How ``fn`` gives None for every input (``"print returns None"``), or None when it
    may return a value (or cannot be read: a callable object, a partial)."""
    if fn is builtins.print:
        return "print returns None"
    if isinstance(fn, types.BuiltinFunctionType | types.FunctionType | types.MethodType) and (
        getattr(fn, "__module__", None) == "logging"
        or getattr(fn, "__self__", None).__class__ is logging.Logger
    ):
        return f"logging.{getattr(fn, '__name__', 'log')} returns None"
    if not isinstance(fn, types.FunctionType):
        return None
    root = function_root(fn)
    if isinstance(root, ast.Lambda):
        return _none_call(root.body, fn)
    if not isinstance(root, ast.FunctionDef) or fn.__code__.co_flags & inspect.CO_GENERATOR:
        return None
    nodes = list(own_nodes(root))
    if any(isinstance(n, ast.Return) and n.value is not None for n in nodes):
        return None
    if any(isinstance(n, ast.Yield | ast.YieldFrom) for n in nodes):
        return None
    return f"{fn.__qualname__} has no return with a value"


def _none_call(body: ast.AST, fn: types.FunctionType) -> str | None:
    """``print(x)``, ``logging.info(x)``, ``seen.append(x)`` as a lambda's body: the owner
    is looked up (``np.append`` returns an array; only a list's, set's or dict's mutating
    method, and a logger's, return None)."""
    if not isinstance(body, ast.Call):
        return None
    func = body.func
    if isinstance(func, ast.Name) and func.id == "print":
        return None if func.id in fn.__globals__ else "print returns None"
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return None
    name = func.value.id
    owner = closure_value(fn, name)
    owner = fn.__globals__.get(name, MISSING) if owner is MISSING else owner
    if func.attr in _LOGGING and (owner is logging or isinstance(owner, logging.Logger)):
        return f"{name}.{func.attr} returns None"
    builtin = next((t for t in (list, set, dict, collections.deque) if isinstance(owner, t)), None)
    if (
        func.attr in _MUTATORS
        and builtin is not None
        and getattr(type(owner), func.attr, None) is getattr(builtin, func.attr, None)
    ):  # a subclass may give its own add() a result
        return f"{name}.{func.attr}() returns None"
    return None


def _uses_elements(reader: Any) -> bool:
    """A reader that looks at each element: a sink (it writes it) or the user's own code.
    Beam's other steps (``Count``, ``Reshuffle``) may only count or move the Nones."""
    target = shuffles.user_callable(reader)
    if target is not None and not shuffles.is_beams(target):
        return True
    node = reader  # a sink's step sits inside it (WriteToText/Write/WriteImpl/...)
    for _ in range(8):
        if node is None:
            return False
        if (type(getattr(node, "transform", None)).__module__ or "").startswith("apache_beam.io."):
            return True
        node = getattr(node, "parent", None)
    return False


def _refused(node: Any) -> bool:
    """The Map's declared output type takes a coder that refuses None (``-> int``): the
    worker fails on the first None (BD308 says so), no None reaches the next step."""
    from apache_beam.coders import typecoders

    outputs = list(node.outputs.values())
    if len(outputs) != 1:
        return False
    try:
        coder = typecoders.registry.get_coder(outputs[0].element_type)
    except Exception:  # noqa: BLE001 - no coder for the hint: Beam says so itself
        return False
    outcome = value_types.round_trip(coder, None)
    return outcome is not None and outcome[0] == "rejected"


def none_element_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD309 for each user Map whose function returns None for every input and whose output
    a later step reads: an error where that step is a sink or the user's code, a warning
    where it is one of Beam's own (it may only count them)."""
    readers = shuffles.consumers(pipeline)
    out: list[Diagnostic] = []
    for node, target in shuffles.user_transforms(pipeline):
        if _filters(node):
            out.extend(_drops_everything(node, target, readers))
            continue
        if not shuffles.returns_elements(node):
            continue
        try:
            why = _returns_none(target)
        except Exception:  # noqa: BLE001 - a hostile callable: no finding, no crash
            continue
        if why is None or _refused(node):
            continue
        after = [r for o in node.outputs.values() for r in readers.get(id(o), [])]
        if not after:
            continue  # the end of a chain: nothing reads the Nones
        using = [r for r in after if _uses_elements(r)]
        reader = (using or after)[0]
        label = getattr(reader, "_beam_deps_user_label", None) or reader.full_label
        where = shuffles.where(node)
        out.append(
            diagnostic(
                "BD309",
                f"{where['transform']} emits None for every element ({why}; Map emits what its "
                f"function returns), and {label!r} reads those Nones: a sink writes the text "
                "'None', a step that uses the element fails on it",
                severity="error" if using else "warning",
                path=where["transform"],
                **where,
            )
        )
    return out


def _never_true(fn: Any) -> str | None:
    """How a ``def`` returns only false values: each ``return`` gives a false constant
    (``return False``), and its end, where it may be reached, gives None."""
    fn = getattr(fn, "__func__", fn)
    if not isinstance(fn, types.FunctionType) or fn.__code__.co_flags & inspect.CO_GENERATOR:
        return None
    root = function_root(fn)
    if not isinstance(root, ast.FunctionDef):
        return None
    returns = [n for n in own_nodes(root) if isinstance(n, ast.Return)]
    values = [n.value for n in returns if n.value is not None]
    if not values or not all(isinstance(v, ast.Constant) and not v.value for v in values):
        return None
    return f"{fn.__qualname__} returns only {', '.join(sorted({repr(v.value) for v in values}))}"


def _filters(node: Any) -> bool:
    from beam_deps.pipeline.payloads import wrapper_kind

    return wrapper_kind(getattr(getattr(node, "transform", None), "fn", None)) == "Filter"


def _drops_everything(node: Any, target: Any, readers: dict) -> list[Diagnostic]:
    """BD334 for a Filter whose function returns None for every element (a ``def`` that
    decides but never returns, ``print``): Filter keeps an element only when the function
    returns a true value, so the step drops them all and what reads its output gets
    nothing. Silent, on every runner; claimed where a later step reads the output."""
    try:
        why = _returns_none(getattr(target, "__func__", target)) or _never_true(target)
    except Exception:  # noqa: BLE001 - a hostile callable: no finding, no crash
        return []
    after = [r for o in node.outputs.values() for r in readers.get(id(o), [])]
    if why is None or not after:
        return []
    label = getattr(after[0], "_beam_deps_user_label", None) or after[0].full_label
    where = shuffles.where(node)
    return [
        diagnostic(
            "BD334",
            f"{where['transform']} drops every element ({why}; Filter keeps an element only "
            f"when its function returns a true value), so {label!r} gets no elements",
            path=where["transform"],
            **where,
        )
    ]


__all__ = ["none_element_diagnostics"]
