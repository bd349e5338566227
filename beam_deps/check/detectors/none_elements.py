"""A Map whose function returns nothing, read by a later step (BD309).

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
import logging
import types
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors.function_source import function_root, own_nodes
from beam_deps.diagnostics import Diagnostic

_LOGGING = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
# Methods that change their object and return None (never ``pop``, ``get``, ``setdefault``).
_MUTATORS = frozenset(
    {"append", "extend", "insert", "add", "update", "discard", "remove", "clear", "sort"}
)


def _returns_none(fn: Any) -> str | None:
    """How ``fn`` gives None for every input (``"print returns None"``), or None when it
    may return a value."""
    if fn is builtins.print:
        return "print returns None"
    if getattr(fn, "__module__", None) == "logging" or fn in {
        getattr(logging, name, None) for name in _LOGGING
    }:
        return f"logging.{getattr(fn, '__name__', 'log')} returns None"
    if not isinstance(fn, types.FunctionType):
        return None
    root = function_root(fn)
    if isinstance(root, ast.Lambda):
        return _none_call(root.body)
    if not isinstance(root, ast.FunctionDef) or fn.__code__.co_flags & 0x20:  # a generator
        return None
    nodes = list(own_nodes(root))
    if any(isinstance(n, ast.Return) and n.value is not None for n in nodes):
        return None
    if any(isinstance(n, ast.Yield | ast.YieldFrom) for n in nodes):
        return None
    return f"{fn.__qualname__} has no return with a value"


def _none_call(body: ast.AST) -> str | None:
    """``print(x)``, ``logging.info(x)``, ``seen.append(x)`` as a lambda's body."""
    if not isinstance(body, ast.Call):
        return None
    func = body.func
    if isinstance(func, ast.Name) and func.id == "print":
        return "print returns None"
    if isinstance(func, ast.Attribute):
        owner = func.value
        if isinstance(owner, ast.Name) and owner.id in ("logging", "logger", "log", "LOGGER"):
            if func.attr in _LOGGING:
                return f"{owner.id}.{func.attr} returns None"
        if func.attr in _MUTATORS:
            return f".{func.attr}() returns None"
    return None


def none_element_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD309 for each user Map whose function returns None for every input and whose output
    a later step reads."""
    readers = shuffles.consumers(pipeline)
    out: list[Diagnostic] = []
    for node, target in shuffles.user_transforms(pipeline):
        if not shuffles.returns_elements(node):
            continue
        why = _returns_none(target)
        if why is None:
            continue
        after = [r for o in node.outputs.values() for r in readers.get(id(o), [])]
        if not after:
            continue  # the end of a chain: nothing reads the Nones
        where = shuffles.where(node)
        reader = getattr(after[0], "_beam_deps_user_label", None) or after[0].full_label
        out.append(
            diagnostic(
                "BD309",
                f"{where['transform']} emits None for every element ({why}; Map emits what its "
                f"function returns), and {reader!r} reads those Nones: a sink writes the text "
                "'None', a step that uses the element fails on it",
                path=where["transform"],
                **where,
            )
        )
    return out


__all__ = ["none_element_diagnostics"]
