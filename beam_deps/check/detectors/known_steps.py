"""How one step runs on known elements (used by known_elements, BD329): what to call per
element (Beam's own wrapper around the user's function, a user DoFn's ``process`` on a copy,
Beam's partitioning or combining DoFn), and what one call sends to each output.

Only steps whose result depends on the element alone are called: the user's functions, a
builtin that only reads its argument, Beam's own pure steps (known_groups.py), never one whose
parameters Beam fills (``DoFn.TimestampParam``) or a DoFn that ``setup`` prepares.
"""

from __future__ import annotations

import inspect
import itertools
from typing import Any

from beam_deps.check.detectors import known_groups
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors.worker_code import is_user_function


def runnable(function: Any) -> bool:
    """A function run here: the user's own, or a builtin that only reads its argument
    (``int``, ``float``, ``json.loads``, ``str.split``...)."""
    import ast
    import datetime
    import decimal
    import json
    import types

    if is_user_function(function):
        return True
    if isinstance(function, types.MethodDescriptorType):
        return function.__objclass__ in (str, bytes)
    safe = (int, float, str, bytes, bool, complex, len, ord, chr, abs, round, decimal.Decimal)
    pure = (
        json.loads,
        ast.literal_eval,
        datetime.date.fromisoformat,
        datetime.datetime.fromisoformat,
    )
    return any(function is f for f in (*safe, *pure))


def has_beam_parameters(function: Any) -> bool:
    """A parameter whose default Beam replaces (``DoFn.TimestampParam``, a state...)."""
    from apache_beam.transforms.core import _DoFnParam

    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # a builtin's: none; the user's unreadable: not run
        return is_user_function(function)
    return any(isinstance(p.default, _DoFnParam) for p in parameters)


def plain(values: Any) -> bool:
    from apache_beam.pvalue import AsSideInput, PValue

    return not any(isinstance(v, AsSideInput | PValue) for v in values)


def runner(node: Any, side: list[Any]) -> Any | None:
    """What to call per element for a step run here: Beam's own wrapper around the user's
    function (or Beam's partitioning DoFn), with the step's extra arguments bound (its side
    inputs' values where Beam's placeholders stand)."""
    from apache_beam.internal.util import insert_values_in_args
    from apache_beam.transforms.core import ParDo

    from beam_deps.pipeline.payloads import user_code, wrapper_kind

    transform = node.transform
    if not isinstance(transform, ParDo):
        return None
    args = tuple(getattr(transform, "args", None) or ())
    kwargs = dict(getattr(transform, "kwargs", None) or {})
    if side:
        placed, kwargs = insert_values_in_args(args, kwargs, side)
        args = tuple(placed)
    if not plain((*args, *kwargs.values())):
        return None
    dofn = transform.fn
    if type(dofn).__name__ == "ApplyPartitionFnFn" and shuffles.is_beams(dofn) and len(args) >= 2:
        partition = getattr(args[0], "_fn", None)
        if not is_user_function(partition) or has_beam_parameters(partition):
            return None
        return lambda element: dofn.process(element, *args, **kwargs)
    kind = wrapper_kind(dofn)
    if kind is None and shuffles.is_beams(dofn):
        return known_groups.beams_step(dofn, args, kwargs)
    if kind is None:
        return _dofn_runner(dofn, args, kwargs)
    function = user_code(dofn)
    if not (runnable(function) or known_groups.beams_pure(function)):
        return None
    if has_beam_parameters(function):
        return None
    wrapper = dofn._fn
    return lambda element: wrapper(element, *args, **kwargs)


def _dofn_runner(dofn: Any, args: tuple, kwargs: dict) -> Any | None:
    """A user DoFn's ``process`` on a copy of it, where nothing but its constructor makes
    what ``process`` reads (no ``setup``, ``start_bundle`` or pickling hooks of its own)."""
    import copy

    cls = type(dofn)
    process = getattr(cls, "process", None)
    if not is_user_function(process) or has_beam_parameters(process):
        return None
    # a method of the user's that makes the state ``process`` reads: the worker's state
    if any(is_user_function(getattr(cls, name, None)) for name in known_groups.PREPARES):
        return None
    try:
        fresh = copy.deepcopy(dofn)  # the worker's own copy: this one stays the pipeline's
    except Exception:  # noqa: BLE001 - a client, a lock: the worker's to run
        return None
    return lambda element: fresh.process(element, *args, **kwargs)


def side_inputs(node: Any) -> list[Any]:
    return list(getattr(node.transform, "side_inputs", None) or ())


class NotIterable(TypeError):
    """A FlatMap's or a DoFn's result that Beam cannot iterate: its own words."""


def outputs(node: Any, result: Any, stamps: list | None = None) -> dict[Any, list[Any]] | None:
    """The elements one call sends to each output of the node; None for an output run here
    cannot follow (a value with its own window). The timestamps it gives its elements
    (``TimestampedValue``) go to ``stamps``."""
    from apache_beam.pvalue import TaggedOutput
    from apache_beam.transforms.window import TimestampedValue
    from apache_beam.utils.windowed_value import WindowedValue

    if isinstance(result, str | bytes | dict):
        return None  # one value where Beam iterates: BD314's, and Beam's own refusal
    if result is not None and not hasattr(result, "__iter__"):
        raise NotIterable(f"'{type(result).__name__}' object is not iterable")
    out: dict[Any, list[Any]] = {}
    for value in itertools.islice(iter(result or ()), 1000):
        tag = None
        if isinstance(value, TaggedOutput):
            tag, value = value.tag, value.value
        if isinstance(value, TimestampedValue):
            if stamps is not None:
                stamps.append(value.timestamp)
            value = value.value
        elif isinstance(value, WindowedValue):
            return None
        out.setdefault(tag, []).append(value)
    return out


__all__ = [
    "NotIterable",
    "has_beam_parameters",
    "outputs",
    "plain",
    "runnable",
    "runner",
    "side_inputs",
]
