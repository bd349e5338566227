"""A DoFn method meant as a lifecycle method under another spelling (BD324).

Beam calls ``setup``, ``start_bundle``, ``process``, ``finish_bundle`` and ``teardown`` by
those exact names. A DoFn written with unittest's or Java's spelling (``setUp``,
``startBundle``, ``tearDown``) defines a method Beam never calls: nothing fails while the
pipeline is built, and on the worker the state it was to prepare is missing
("AttributeError: 'Enrich' object has no attribute 'table'") or the cleanup never runs.

Decided from the class alone: a method whose name, lowercased and without underscores, is a
lifecycle method's, where the class does not define that method itself and none of its own
code calls the near-miss (a helper the real ``setup`` calls is fine). An error when a method
Beam calls reads an attribute only the near-miss sets (the worker fails there), a warning
otherwise (the code silently never runs).
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

import ast
import types
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors.function_source import function_root
from beam_deps.check.detectors.worker_code import is_user_function
from beam_deps.diagnostics import Diagnostic

LIFECYCLE = ("setup", "start_bundle", "process", "process_batch", "finish_bundle", "teardown")
_KEYS = {name.replace("_", ""): name for name in LIFECYCLE}


def _methods(cls: type) -> dict[str, types.FunctionType]:
    """The user's own methods of ``cls`` and its user base classes (the nearest wins), with
    the functions of its properties, static and class methods."""
    out: dict[str, types.FunctionType] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, property):
                for part, function in (("get", value.fget), ("set", value.fset)):
                    if is_user_function(function):
                        out[f"{name} ({part})"] = function
                continue
            value = getattr(value, "__func__", value)  # staticmethod, classmethod
            if is_user_function(value):
                out[name] = value
    return out


def _self_attributes(function: types.FunctionType, ctx: type) -> set[str]:
    """The ``self.<name>`` attributes ``function`` stores (ctx ast.Store) or reads (ast.Load)."""
    root = function_root(function)
    code = function.__code__
    if root is None or code.co_argcount < 1:
        return set()
    me = code.co_varnames[0]
    return {
        node.attr
        for node in ast.walk(root)
        if isinstance(node, ast.Attribute)
        and isinstance(node.ctx, ctx)
        and isinstance(node.value, ast.Name)
        and node.value.id == me
    }


def _called_by_name(methods: dict[str, types.FunctionType], name: str) -> bool:
    """Whether any of the class's own methods refers to ``name`` (``self.setUp()``)."""
    return any(name in f.__code__.co_names for f in methods.values())


def _near_misses(cls: type) -> list[tuple[str, str, types.FunctionType]]:
    """(written name, lifecycle name, method) for each near-miss spelling in ``cls``."""
    methods = _methods(cls)
    out = []
    for name, method in methods.items():
        if name.startswith("_"):
            continue  # a private helper (_setup), not another spelling of Beam's name
        meant = _KEYS.get(name.replace("_", "").lower())
        if meant is None or meant == name or meant in methods:
            continue
        if _called_by_name(methods, name):
            continue
        out.append((name, meant, method))
    return out


def _missing_attribute(cls: type, method: types.FunctionType) -> str | None:
    """An attribute only ``method`` sets that a method Beam calls reads (``__init__`` and
    the class's own attributes count as set)."""
    methods = _methods(cls)
    stored = _self_attributes(method, ast.Store)
    elsewhere: set[str] = set()
    for other in methods.values():
        if other is not method:
            elsewhere |= _self_attributes(other, ast.Store)
    read: set[str] = set()
    for name in LIFECYCLE:
        if name in methods:
            read |= _self_attributes(methods[name], ast.Load)
    for attribute in sorted(stored & read - elsewhere):
        if not any(attribute in vars(klass) for klass in cls.__mro__):
            return attribute
    return None


def lifecycle_name_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD324 for each user DoFn of the pipeline with a near-miss lifecycle method name."""
    from apache_beam.transforms.core import ParDo

    out: list[Diagnostic] = []
    seen: set[type] = set()
    for node in shuffles.nodes_of(pipeline, ParDo):
        cls = type(node.transform.fn)
        if cls in seen or not any(is_user_function(v) for v in vars(cls).values()):
            continue  # Beam's own DoFns (a Map's wrapper)
        seen.add(cls)
        try:
            misses = _near_misses(cls)
        except Exception:  # noqa: BLE001 - an odd class: no finding
            continue
        for written, meant, method in misses:
            attribute = _missing_attribute(cls, method)
            then = (
                f'the worker fails where {attribute!r} is read: "AttributeError: '
                f"'{cls.__name__}' object has no attribute '{attribute}'\""
                if attribute
                else "its code never runs, without an error"
            )
            where = shuffles.where(node)
            out.append(
                diagnostic(
                    "BD324",
                    f"{cls.__qualname__}.{written} (line {method.__code__.co_firstlineno}) "
                    f"is never called: Beam calls {meant}() by that exact name, and "
                    f"{cls.__qualname__} has none, so {then}",
                    severity="error" if attribute else "warning",
                    path=f"{where['transform']} > {cls.__qualname__}.{written}",
                    **where,
                )
            )
    return out


__all__ = ["LIFECYCLE", "lifecycle_name_diagnostics"]
