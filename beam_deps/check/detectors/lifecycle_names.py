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


def _given_none(init: types.FunctionType | None, attribute: str) -> bool:
    """Whether ``__init__`` sets ``self.<attribute>`` only to None (or not at all)."""
    if init is None:
        return True
    root = function_root(init)
    if root is None:
        return False
    values = [
        node.value
        for node in ast.walk(root)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Attribute) and t.attr == attribute for t in node.targets)
    ]
    return all(isinstance(v, ast.Constant) and v.value is None for v in values)


def _none_error(function: types.FunctionType, attribute: str) -> str:
    """What the worker raises where ``function`` first uses ``self.<attribute>`` as None."""
    root = function_root(function)
    for parent in ast.walk(root) if root is not None else ():
        child = getattr(parent, "value", None) if isinstance(parent, ast.Subscript) else None
        child = parent.func if isinstance(parent, ast.Call) else child
        if isinstance(parent, ast.Attribute):
            child = parent.value
        if not (isinstance(child, ast.Attribute) and child.attr == attribute):
            continue
        if isinstance(parent, ast.Subscript):
            return "TypeError: 'NoneType' object is not subscriptable"
        if isinstance(parent, ast.Call):
            return "TypeError: 'NoneType' object is not callable"
        return f"AttributeError: 'NoneType' object has no attribute '{parent.attr}'"
    return "its None"


def _owner_lifecycle(node: Any) -> Diagnostic | None:
    """BD324 for a step whose function is a bound method of an object that is not a DoFn
    (a PTransform's ``self._read`` in ``beam.FlatMap``), whose class defines a lifecycle
    method: Beam calls those on DoFns only (oppia/oppia#24934's Firebase PTransform)."""
    from apache_beam.transforms.core import DoFn

    target = shuffles.user_callable(node)
    owner = getattr(target, "__self__", None)
    function = getattr(target, "__func__", None)
    if owner is None or isinstance(owner, DoFn | type) or not is_user_function(function):
        return None
    cls = type(owner)
    methods = _methods(cls)
    for name in ("setup", "start_bundle", "finish_bundle", "teardown"):
        method = methods.get(name)
        if method is None or _called_by_name(methods, name):
            continue
        if any(getattr(owner, a, None) is not None for a in _self_attributes(method, ast.Store)):
            continue  # the script called it before the pipeline ran: its work is pickled
        read = _self_attributes(function, ast.Load) & _self_attributes(method, ast.Store)
        others = [m for n, m in methods.items() if m is not method and n != "__init__"]
        read -= {a for m in others for a in _self_attributes(m, ast.Store)}
        missing = sorted(a for a in read if _given_none(methods.get("__init__"), a))
        init = methods.get("__init__")
        unset = not missing or init is None or missing[0] not in _self_attributes(init, ast.Store)
        error = (
            f"AttributeError: '{cls.__name__}' object has no attribute '{missing[0]}'"
            if missing and unset
            else _none_error(function, missing[0])
            if missing
            else ""
        )
        then = (
            f"{function.__name__}, which the step runs on the worker, reads "
            f"self.{missing[0]}, which only {name}() sets: the worker fails there "
            f'("{error}")'
            if missing
            else "its code never runs, without an error"
        )
        where = shuffles.where(node)
        return diagnostic(
            "BD324",
            f"{cls.__qualname__}.{name} (line {method.__code__.co_firstlineno}) is never "
            f"called: Beam calls {name}() on a DoFn only, and {cls.__qualname__} is not one "
            f"(the step runs its method {function.__name__}), so {then}",
            severity="error" if missing else "warning",
            path=f"{where['transform']} > {cls.__qualname__}.{name}",
            fix=f"Move {function.__name__} and {name} into a DoFn (`beam.ParDo(ReadFn(...))`), "
            f"whose {name}() Beam calls on each worker; or make what it sets in the method "
            "that reads it, once per process.",
            **where,
        )
    return None


def lifecycle_name_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD324 for each user DoFn of the pipeline with a near-miss lifecycle method name, and
    each step running a method of a class that is not a DoFn but has a lifecycle method."""
    from apache_beam.transforms.core import ParDo

    out: list[Diagnostic] = []
    seen: set[type] = set()
    for node in shuffles.nodes_of(pipeline, ParDo):
        try:
            found = _owner_lifecycle(node)
        except Exception:  # noqa: BLE001 - an odd object: no finding
            found = None
        if found is not None:
            out.append(found)
            continue
        cls = type(node.transform.fn)
        if cls in seen or not any(is_user_function(v) for v in vars(cls).values()):
            continue  # Beam's own DoFns (a Map's wrapper)
        seen.add(cls)
        try:
            misses = _near_misses(cls)
            missing = _no_process(node, cls) if not misses else None
        except Exception:  # noqa: BLE001 - an odd class: no finding
            continue
        out.extend([missing] if missing is not None else [])
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


def _no_process(node: Any, cls: type) -> Diagnostic | None:
    """BD324 for a DoFn of the user's without a ``process`` (or ``process_batch``) of its
    own: Beam calls ``process`` for each element, and DoFn's own raises
    NotImplementedError (the logic sits in a method named otherwise)."""
    from apache_beam.transforms.core import DoFn

    if any(getattr(cls, name, None) is not getattr(DoFn, name) for name in LIFECYCLE[2:4]):
        return None
    others = sorted(n for n, f in _methods(cls).items() if not n.startswith("_"))
    where = shuffles.where(node)
    named = f" (its code is in {', '.join(others)})" if others else ""
    return diagnostic(
        "BD324",
        f"{cls.__qualname__} has no process method{named}: Beam calls process() for "
        "each element by that exact name, and DoFn's own raises, so the worker fails on the "
        'first element with "NotImplementedError"',
        path=f"{where['transform']} > {cls.__qualname__}",
        **where,
    )


__all__ = ["LIFECYCLE", "lifecycle_name_diagnostics"]
