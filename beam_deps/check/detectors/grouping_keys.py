"""Grouping keys the deterministic coder refuses or changes (BD310).

A shuffle groups equal keys by their *bytes*, so Beam encodes each key with a deterministic
coder: for a key of undeclared type, its fast primitives coder in deterministic mode. That
coder takes Python's own scalars (int, float, str, bytes, bool, None), tuples and lists of
them, Enum members, NamedTuples and frozen dataclasses. Other values go through a fallback,
and what it does depends on the Beam version:

* Every version refuses a ``datetime.date``, a ``Decimal``, a ``frozenset``, and the job
  fails ("Unable to deterministically encode ..."); Beam 2.62 and newer refuse a numpy
  scalar too ("... of type '<class 'numpy.int64'>', please provide a type hint for the
  input of 'GroupByKey'"), as read in the wheels of 2.61 to 2.68.
* Beam 2.61 (on Python 3.11+) encodes a numpy scalar by its ``__getstate__``, which holds
  nothing: every key arrives as 0, and keys that differ are grouped together, silently.
* A dataclass that is not frozen is refused by every version ("non-frozen").

The key's type is claimed only where the code fixes it: a call of numpy's scalar types or
functions (``np.int64(x)``, ``np.floor(x / 10)``), a ``datetime``/``date`` constructor
(``datetime.strptime(...)``, ``d.date()``), ``Decimal(...)``, ``frozenset(...)``, a
dataclass of the user's. A sample of that type goes through Beam's own coder here, so the
outcome and the message are the worker's, for the Beam the user has. (Proven on isolated
workers in tests/test_accuracy_keys.py.)
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import datetime
import decimal
import fractions
import sys
import types
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors import value_types
from beam_deps.check.detectors.emitted import outer_value
from beam_deps.check.detectors.function_source import function_root, line_of, own_nodes
from beam_deps.check.detectors.worker_code import is_user_function
from beam_deps.check.postprocess import FOR_SHUFFLE
from beam_deps.diagnostics import Diagnostic

UNKNOWN = value_types.UNKNOWN

# Classes of the standard library whose instances the deterministic coder has no way for,
# each with a sample instance, and their alternative constructors (classmethods).
_SAMPLES: dict[type, Any] = {
    datetime.datetime: datetime.datetime(2024, 1, 2, 3, 4),
    datetime.date: datetime.date(2024, 1, 2),
    datetime.time: datetime.time(3, 4),
    datetime.timedelta: datetime.timedelta(days=1),
    decimal.Decimal: decimal.Decimal("1.5"),
    fractions.Fraction: fractions.Fraction(1, 2),
    frozenset: frozenset({1}),
}
_CONSTRUCTORS = frozenset(
    {"strptime", "fromisoformat", "fromtimestamp", "utcfromtimestamp", "now", "utcnow"}
    | {"today", "combine", "fromordinal", "from_float", "from_decimal"}
)
# numpy functions that give a numpy scalar (or an array) whatever their input; ufuncs
# (np.floor, np.sqrt, np.abs...) are recognised by their type.
_NUMPY_REDUCTIONS = frozenset(
    {"sum", "prod", "mean", "median", "average", "std", "var", "max", "min", "amax", "amin"}
    | {"round", "around", "argmax", "argmin", "percentile", "quantile", "ptp"}
)
# Beam's steps between the producer and the shuffle that make the producer's whole element
# the key (Count.PerElement pairs it with None, Distinct with itself); other Beam steps
# (Reshuffle's random keys, GroupBy's key function) make a key of their own.
_WHOLE_ELEMENT_STEPS = ("PairWithVoid", "ToPairs")
_KEEPING_STEPS = ("reify_metadata_default_window",)


class _Shown:
    """A dataclass field's stand-in in a sample: encoded never (a non-frozen dataclass is
    refused before its fields are read), shown as ``...`` in the worker's message."""

    def __repr__(self) -> str:
        return "..."


def _resolved(expr: ast.AST, function: types.FunctionType) -> Any:
    """What a callee expression names: a global or closure variable of ``function``, or an
    attribute of a module or class it names (``np.floor``, ``datetime.datetime.strptime``);
    ``UNKNOWN`` for anything else (an attribute of an arbitrary object is not looked up)."""
    if isinstance(expr, ast.Name):
        value = outer_value(function, expr.id)
        if value is None and expr.id not in function.__code__.co_varnames:
            value = getattr(builtins, expr.id, None)  # frozenset(...)
        return UNKNOWN if value is None else value
    if isinstance(expr, ast.Attribute):
        base = _resolved(expr.value, function)
        if isinstance(base, types.ModuleType | type):
            return getattr(base, expr.attr, UNKNOWN)
    return UNKNOWN


def _numpy_scalar(cls: type) -> Any:
    for argument in (1, "a", "2024-01-02"):
        try:
            return cls(argument)
        except Exception:  # noqa: BLE001 - numpy's scalar types take different arguments
            continue
    return UNKNOWN


def _blank_dataclass(cls: type) -> Any:
    try:
        value = object.__new__(cls)
        for field in dataclasses.fields(cls):
            object.__setattr__(value, field.name, _Shown())
        return value
    except Exception:  # noqa: BLE001 - a class that cannot be made bare is not claimed
        return UNKNOWN


def _made_by(callee: Any) -> Any:
    """A sample of what calling ``callee`` surely gives, or ``UNKNOWN``."""
    numpy = sys.modules.get("numpy")
    if isinstance(callee, type):
        if numpy is not None and issubclass(callee, numpy.generic):
            return _numpy_scalar(callee)
        if callee in _SAMPLES:
            return _SAMPLES[callee]
        params = getattr(callee, "__dataclass_params__", None)
        if params is not None and not params.frozen:
            return _blank_dataclass(callee)
        return UNKNOWN
    owner = getattr(callee, "__self__", None)
    if isinstance(owner, type) and owner in _SAMPLES and callee.__name__ in _CONSTRUCTORS:
        return _SAMPLES[owner]
    if numpy is None:
        return UNKNOWN
    if isinstance(callee, numpy.ufunc):
        return numpy.float64(2.5)
    name = getattr(callee, "__name__", "")
    if getattr(numpy, name, None) is callee and name in _NUMPY_REDUCTIONS:
        return numpy.int64(1) if name.startswith("arg") else numpy.float64(2.5)
    return UNKNOWN


def key_sample(
    expr: ast.AST, function: types.FunctionType, names: dict[str, ast.AST] | None = None
) -> Any:
    """A value of the type the key expression ``expr`` surely has, or ``UNKNOWN``. A tuple
    key is claimed by its sure parts (the others stand in as 1, which every coder takes).
    ``names``: the function's variables set once (``ts = datetime.strptime(...)`` makes
    ``ts.date()`` a date), followed a few steps."""
    names = names or {}
    if isinstance(expr, ast.Name) and expr.id in names:
        value = names[expr.id]
        rest = {n: v for n, v in names.items() if n != expr.id}  # no loop through a name
        return key_sample(value, function, rest)
    if isinstance(expr, ast.Tuple | ast.List):
        parts = [key_sample(e, function, names) for e in expr.elts]
        if all(p is UNKNOWN for p in parts) or any(isinstance(e, ast.Starred) for e in expr.elts):
            return UNKNOWN
        made = [1 if p is UNKNOWN else p for p in parts]
        return tuple(made) if isinstance(expr, ast.Tuple) else made
    if not isinstance(expr, ast.Call):
        return UNKNOWN
    made = _made_by(_resolved(expr.func, function))
    if made is UNKNOWN and isinstance(expr.func, ast.Attribute) and not expr.args:
        # ``datetime.strptime(...).date()``: a datetime's ``date()`` is a datetime.date; any
        # other object's ``date()`` (a class of the user's) may give anything
        if expr.func.attr == "date" and not expr.keywords:
            receiver = key_sample(expr.func.value, function, names)
            if isinstance(receiver, datetime.datetime):
                return _SAMPLES[datetime.date]
    return made


def _assigned_once(root: ast.AST) -> dict[str, ast.AST]:
    """name -> value for the variables ``root`` sets exactly once, by ``name = value``
    (a loop's or a ``with``'s variable, an augmented assignment, count as other settings)."""
    values: dict[str, list[ast.AST | None]] = {}
    by_assign: set[int] = set()  # the Name nodes the Assign statements below set
    nodes = list(own_nodes(root))
    for node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        by_assign.add(id(name))
                        plain = name is target
                        values.setdefault(name.id, []).append(node.value if plain else None)
    for node in nodes:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            if id(node) not in by_assign:
                values.setdefault(node.id, []).append(None)
    return {n: v[0] for n, v in values.items() if len(v) == 1 and v[0] is not None}


def assigned_once(function: types.FunctionType) -> dict[str, ast.AST]:
    """name -> value for the variables ``function`` sets exactly once (``_assigned_once``)."""
    root = function_root(function)
    return {} if root is None else _assigned_once(root)


def _keys(function: types.FunctionType, returns: bool, whole: bool) -> list[tuple[ast.AST, bool]]:
    """(key expression, only sometimes) for each element ``function`` emits: the first item
    of an emitted pair, or the whole element where Beam makes it the key."""
    root = function_root(function)
    if root is None:
        return []
    once = _assigned_once(root)
    found = []
    for expr, sometimes in shuffles.emitted_values(function, returns):
        if isinstance(expr, shuffles.NoValue):
            continue
        if not whole:
            if not (isinstance(expr, ast.Tuple) and len(expr.elts) == 2):
                continue
            expr = expr.elts[0]
        if isinstance(expr, ast.Name) and expr.id in once:
            expr = once[expr.id]
        found.append((expr, sometimes))
    return found


def _path_to(producer: Any, gbk: Any) -> list[str] | None:
    """The labels of Beam's steps from the producer's output to the shuffle."""
    labels: list[str] = []
    node = gbk.inputs[0].producer if gbk.inputs else None
    while node is not None and node is not producer:
        labels.append(node.full_label)
        node = node.inputs[0].producer if node.inputs else None
    return labels if node is producer else None


def _key_coder(gbk: Any) -> Any:
    """The deterministic coder the shuffle encodes a key of undeclared type with, or None
    (a declared key type: its own coder)."""
    from apache_beam.coders import coders, typecoders

    try:
        coder = typecoders.registry.get_coder(gbk.inputs[0].element_type)
        key = coder.key_coder() if coder.is_kv_coder() else coders.FastPrimitivesCoder()
        if not isinstance(key, coders.FastPrimitivesCoder):
            # A declared key type (``-> Tuple[int, int]``) takes its own coder: what it does
            # to a value depends on the value (np.floor gives whole numbers, which an int
            # coder keeps), so a sample of the type decides nothing; BD308 owns declared types.
            return None
        return key.as_deterministic_coder(gbk.full_label)
    except Exception:  # noqa: BLE001
        return None


def _enclosing(node: Any, kind: type) -> Any | None:
    """The transform of type ``kind`` a step of Beam's belongs to, or None."""
    parent = node
    while parent is not None:
        if isinstance(parent.transform, kind):
            return parent
        parent = parent.parent
    return None


def _enclosing_reshuffle(node: Any) -> Any | None:
    """The ``Reshuffle`` a step of Beam's belongs to, or None."""
    from apache_beam.transforms.util import Reshuffle

    return _enclosing(node, Reshuffle)


def _is_cogbk_tag(node: Any) -> bool:
    """CoGroupByKey's ``Tag[name]`` step: ``(k, v)`` becomes ``(k, (name, v))``, the key as
    it came."""
    from apache_beam.transforms.util import _CoGBKImpl

    parent = node.parent
    return (
        parent is not None
        and isinstance(parent.transform, _CoGBKImpl)
        and node.full_label.rsplit("/", 1)[-1].startswith("Tag[")
    )


def _group_by_key_function(node: Any) -> Any | None:
    """The user's key function of a ``GroupBy(fn)``, when ``node`` is the step of Beam's
    that pairs each element with ``fn(element)`` (its result is the key), else None."""
    from apache_beam.transforms.core import GroupBy

    group = node.parent
    if group is None or not isinstance(group.transform, GroupBy) or node is group:
        return None
    fields = getattr(group.transform, "_key_fields", None)
    if getattr(group.transform, "_force_tuple_keys", True) or not fields or len(fields) != 1:
        return None  # several fields: a row of them is the key
    fn = fields[0][1]
    return fn if is_user_function(fn) else None


def _keys_upstream(gbk: Any) -> list[tuple[Any, Any, bool, bool]]:
    """(producer, its function or DoFn, whole element as key, its return is the element)
    for each user transform whose keys reach this shuffle through steps that hand the key on:
    a ``Reshuffle``, a ``WindowInto``, a ``Flatten`` and CoGroupByKey's tagging (each input
    of a CoGroupByKey meets its shuffle's key coder, proven on isolated workers), or whose
    result is the key (``GroupBy(fn)``). The direct producers are ``_into_shuffles``' own."""
    from apache_beam.transforms.core import Flatten, WindowInto

    out: list[tuple[Any, Any, bool, bool]] = []
    stack = [(gbk.inputs[0].producer if gbk.inputs else None, False)]
    for _ in range(32):
        if not stack:
            break
        node, passed = stack.pop()
        if node is None:
            continue
        reshuffle = _enclosing_reshuffle(node)
        if reshuffle is not None:
            stack.append((reshuffle.inputs[0].producer if reshuffle.inputs else None, True))
        elif isinstance(node.transform, WindowInto) or _is_cogbk_tag(node):
            stack.append((node.inputs[0].producer if node.inputs else None, True))
        elif isinstance(node.transform, Flatten):
            stack.extend((getattr(i, "producer", None), True) for i in node.inputs)
        elif (key_fn := _group_by_key_function(node)) is not None:
            out.append((node.parent, key_fn, True, True))
        else:
            target = shuffles.user_callable(node)
            if passed and target is not None and not shuffles.is_beams(target):
                out.append((node, target, False, shuffles.returns_elements(node)))
    return out


def _into_shuffles(pipeline: Any) -> list[tuple[Any, Any, Any, bool, bool]]:
    """(producer, shuffle, its function or DoFn, whole element as key, its return is the
    element) for each user transform whose elements reach a shuffle as they are, or as its
    keys."""
    out = []
    found = set()
    for producer, gbk, target in shuffles.producers_into_shuffles(pipeline):
        steps = _path_to(producer, gbk)
        if steps is None:
            continue
        whole = any(s.endswith(_WHOLE_ELEMENT_STEPS) for s in steps)
        if whole or all(s.endswith(_KEEPING_STEPS) for s in steps):
            out.append((producer, gbk, target, whole, shuffles.returns_elements(producer)))
            found.add(id(gbk))
    for gbk in shuffles.shuffles_of(pipeline):
        if id(gbk) in found or _enclosing_reshuffle(gbk) is not None:
            continue  # Reshuffle's own shuffle groups by random keys
        out.extend((p, gbk, t, whole, r) for p, t, whole, r in _keys_upstream(gbk))
    return out


def grouping_key_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD310: a key the code surely gives a type the shuffle's deterministic coder refuses
    (the job fails) or changes (keys that differ are grouped together); and a key of the
    ``Create`` values that feed a shuffle."""
    out: list[Diagnostic] = []
    if not shuffles.deterministic_keys(pipeline):
        return out  # --allow_non_deterministic_key_coders: keys are pickled, not refused
    said: set[tuple[int, int]] = set()  # one finding per function and shuffle
    for producer, gbk, target, whole, returns in _into_shuffles(pipeline):
        coder = _key_coder(gbk)
        if coder is None:
            continue
        for function in shuffles.emitting_functions(target):
            if (id(function), id(gbk)) in said:
                continue
            once = assigned_once(function)
            for expr, sometimes in _keys(function, returns, whole):
                value = key_sample(expr, function, once)
                if value is UNKNOWN:
                    continue
                outcome = value_types.round_trip(coder, value)
                if outcome is None:
                    continue
                out.append(_finding(producer, gbk, function, expr, value, outcome, sometimes))
                said.add((id(function), id(gbk)))
                break
    return out + _create_keys(pipeline)


def _create_keys(pipeline: Any) -> list[Diagnostic]:
    """BD310 for the keys of a ``Create`` that feeds a shuffle directly: the values are in
    the pipeline, so the keys themselves (a sample of them) go through the shuffle's key
    coder here. Why: ``beam.Create([(date(2024, 1, 1), 1)]) | beam.GroupByKey()`` fails on
    the worker like a computed key, and no function shows its type."""
    from apache_beam.transforms.core import Create

    out: list[Diagnostic] = []
    for gbk in shuffles.shuffles_of(pipeline):
        producer = getattr(gbk.inputs[0], "producer", None) if gbk.inputs else None
        create = getattr(producer, "parent", None)
        if create is None or not isinstance(create.transform, Create):
            continue
        coder = _key_coder(gbk)
        if coder is None:
            continue
        values = create.transform.values
        for element in list(values[:50]) if isinstance(values, list | tuple) else ():
            if not (isinstance(element, tuple) and len(element) == 2):
                continue
            try:
                if element[0] != element[0]:  # NaN: never equal to itself, nor to its copy
                    continue
                outcome = value_types.round_trip(coder, element[0])
            except Exception:  # noqa: BLE001 - a key with an odd __eq__: not claimed
                continue
            if outcome is not None:
                out.append(_create_finding(create, gbk, element[0], outcome))
                break
    return out


def _create_finding(create: Any, gbk: Any, key: Any, outcome: tuple[str, str]) -> Diagnostic:
    kind, detail = outcome
    said = (
        f"the Create values' keys are {_described(key)} ({key!r}); the shuffle of "
        f"{gbk.full_label!r} encodes keys with Beam's deterministic coder"
    )
    if kind == "rejected":
        message = f'{said}, and the worker will fail with "{detail}"'
    else:
        message = (
            f"{said}, which changes them silently ({detail}): keys that differ are grouped together"
        )
    return diagnostic(
        "BD310",
        message,
        path="Create key",
        **shuffles.where(create),
        **{FOR_SHUFFLE: gbk.full_label},
    )


def _described(value: Any) -> str:
    if isinstance(value, tuple | list):
        sure = [v for v in value if type(v) is not int]  # the others stand in as 1
        return f"a {type(value).__name__} holding {_described(sure[0])}"
    typ = type(value)
    module = "" if typ.__module__ == "builtins" else f"{typ.__module__}."
    return f"a {module}{typ.__qualname__}"


def _finding(
    producer: Any,
    gbk: Any,
    function: types.FunctionType,
    expr: ast.AST,
    value: Any,
    outcome: tuple[str, str],
    sometimes: bool,
) -> Diagnostic:
    kind, detail = outcome
    shown = ast.unparse(expr)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    line = line_of(function, expr)
    at = f" (line {line})" if line else ""
    said = (
        f"the grouping key {shown}{at} is {_described(value)}; the shuffle "
        f"of {gbk.full_label!r} encodes keys with Beam's deterministic coder"
    )
    if kind == "rejected":
        # the worker's message names the key it met; ours would name the stand-in sample
        detail = detail.replace(f"'{value}'", "'...'", 1)
        message = f'{said}, and the worker will fail with "{detail}"'
    else:
        message = (
            f"{said}, which changes them silently ({detail}): keys that differ are grouped together"
        )
    if sometimes:
        message += " when an input takes that path"
    name = "the lambda" if function.__name__ == "<lambda>" else function.__qualname__
    return diagnostic(
        "BD310",
        message,
        severity="warning" if sometimes else "error",
        path=f"{name} key",
        **shuffles.where(producer),
        **{FOR_SHUFFLE: gbk.full_label},
    )


__all__ = ["grouping_key_diagnostics", "key_sample"]
