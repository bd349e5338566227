"""A step's function that needs more arguments than Beam calls it with (BD323).

``beam.Map(fn, *args, **kwargs)`` calls ``fn(element, *args, **kwargs)`` for each element,
and a DoFn's ``process(element, *args, **kwargs)`` with the ParDo's extra arguments (the
``DoFn.WindowParam``-style defaults are filled by Beam). Two slips fail on the worker at the
first element and at no point before it: ``beam.Map(lambda k, v: ...)`` over (key, value)
pairs, where ``MapTuple`` was meant ("<lambda>() missing 1 required positional argument:
'v'"), and ``process(self, element, window)`` without the ``window=beam.DoFn.WindowParam``
default that tells Beam what to pass. A function given to ``CombinePerKey`` or
``CombineGlobally`` is called with one iterable of values: a two-parameter "latest of a and
b" fails there ("latest() missing 1 required positional argument: 'b'").

Decided by binding: the function's own signature is bound to one element and the step's
extra arguments, exactly as the wrapper calls it; a ``TypeError`` from ``bind`` is the
worker's. ``MapTuple`` (the element's fields come first, their number is the data's) and
functions whose signature cannot be read are left alone.
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

import inspect
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors.worker_code import is_user_function
from beam_deps.diagnostics import Diagnostic

_ELEMENT = object()


def _called(node: Any) -> tuple[Any, str] | None:
    """(the user's callable Beam calls per element, what it is) for a Map, FlatMap or
    Filter of a user function, or a user DoFn's ``process``; None otherwise."""
    from beam_deps.pipeline.payloads import user_code, wrapper_kind

    fn = node.transform.fn
    kind = wrapper_kind(fn)
    if kind in ("MapTuple", "FlatMapTuple"):
        return None
    target = user_code(fn)
    if kind is None:
        process = getattr(type(target), "process", None)
        if not is_user_function(process):
            return None
        return target.process, "process"
    function = getattr(target, "__func__", target)
    if not isinstance(target, type) and not hasattr(function, "__code__"):
        function = inspect.getattr_static(type(target), "__call__", None)  # a user object
    return (target, kind) if is_user_function(function) else None


def _names(names: list[str]) -> str:
    """Python's own list of missing parameters: 'a', 'a' and 'b', 'a', 'b', and 'c'."""
    quoted = [repr(n) for n in names]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def _unbound(callable_: Any, args: list, kwargs: dict) -> str | None:
    """What Python says when ``callable_(element, *args, **kwargs)`` leaves a parameter
    without a value ("missing 1 required positional argument: 'v'"), or None when the call
    binds (or the signature cannot be read)."""
    try:
        # the signature Beam calls: a decorator's wrapper, not the function it wraps
        signature = inspect.signature(callable_, follow_wrapped=False)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(_ELEMENT, *args, **kwargs)
    except TypeError:
        pass
    else:
        return None
    positional: list[str] = []
    keyword: list[str] = []
    for i, (name, parameter) in enumerate(signature.parameters.items()):
        unset = parameter.default is parameter.empty and name not in kwargs
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            if unset and i >= 1 + len(args):
                positional.append(name)
        elif parameter.kind == parameter.KEYWORD_ONLY and unset:
            keyword.append(name)
    missing, kind = (positional, "positional") if positional else (keyword, "keyword-only")
    if not missing:
        return None  # too many arguments, an unexpected keyword: not this rule's slip
    plural = "s" if len(missing) > 1 else ""
    return f"missing {len(missing)} required {kind} argument{plural}: {_names(missing)}"


def _steps(pipeline: Any) -> list[tuple[Any, Any, str]]:
    """(node, the user's callable Beam calls, what it is) for each step with one: a Map,
    FlatMap or Filter function, a DoFn's ``process``, a function given to a combine (called
    with one iterable of values, and of its own earlier results)."""
    from apache_beam.transforms.core import ParDo

    from beam_deps.check.detectors.accumulators import combined_callables

    out: list[tuple[Any, Any, str]] = []
    for node in shuffles.nodes_of(pipeline, ParDo):
        try:
            found = _called(node)
        except Exception:  # noqa: BLE001 - a hostile user object: no finding
            continue
        if found is not None:
            out.append((node, *found))
    for node, fn, _ in combined_callables(pipeline):
        if is_user_function(getattr(fn, "__func__", fn)):
            out.append((node, fn, "combine"))
    return out


_CALLED_WITH = {"process": "the element", "combine": "one iterable of values"}
_HINTS = {
    "map": "for a (key, value) element, beam.MapTuple passes the fields as arguments",
    "process": "a parameter Beam fills needs its default, as window=beam.DoFn.WindowParam",
    "combine": "a combine's function reduces an iterable of values to one: sum, max, or a "
    "CombineFn for anything else",
}


def call_arity_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD323 for each step whose function cannot be called with one element (one iterable
    of values, for a combine) and the step's extra arguments."""
    out: list[Diagnostic] = []
    for node, target, kind in _steps(pipeline):
        args = list(getattr(node.transform, "args", None) or ())
        kwargs = dict(getattr(node.transform, "kwargs", None) or {})
        missing = _unbound(target, args, kwargs)
        if missing is None:
            continue
        name = getattr(target, "__qualname__", None) or getattr(target, "__name__", "?")
        extra = f" and {len(args) + len(kwargs)} extra argument" if args or kwargs else ""
        extra += "s" if len(args) + len(kwargs) > 1 else ""
        called = _CALLED_WITH.get(kind, "the element")
        hint = _HINTS.get(
            kind, "for a (key, value) element, beam.MapTuple passes the fields as arguments"
        )
        where = shuffles.where(node)
        out.append(
            diagnostic(
                "BD323",
                f"{name} is called with {called}{extra} only, which leaves a parameter "
                f'without a value: the worker fails with "TypeError: {name}() {missing}" '
                f"({hint})",
                path=f"{where['transform']} > {name}",
                **where,
            )
        )
    return out


__all__ = ["call_arity_diagnostics"]
