"""An element's timestamp given as a datetime without a time zone (BD318).

``beam.window.TimestampedValue(value, ts)`` turns ``ts`` into a Beam ``Timestamp``
(``Timestamp.of``): seconds since the epoch, a ``Timestamp``, or a ``datetime`` that says it
is UTC. A naive datetime, which is what ``datetime.strptime(s, "%Y-%m-%d")``,
``datetime.now()`` and ``datetime.fromtimestamp(t)`` give, fails on the worker on the first
element: "ValueError: dt has no timezone info". Windowing code is often written against
those calls, and a unit test that never builds the TimestampedValue passes.

Decided from the code only: the timestamp argument (or a variable the step's function sets
once) is one of those calls, with no time zone argument and, for ``strptime``, a literal
format without ``%z``. A timestamp read from the element (``row["ts"]``) may be anything.
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

import ast
import types
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors.emitted import outer_value
from beam_deps.check.detectors.function_source import function_root, line_of, own_nodes
from beam_deps.diagnostics import Diagnostic

# datetime's constructors that give a naive datetime when called without a tz argument
_NAIVE_NO_ARGS = frozenset({"now", "today", "utcnow"})
_NAIVE_ONE_ARG = frozenset({"fromtimestamp", "utcfromtimestamp", "fromordinal"})


def _is_datetime_class(node: ast.AST) -> bool:
    """``datetime`` or ``datetime.datetime`` (the class, as scripts import it)."""
    if isinstance(node, ast.Name):
        return node.id == "datetime"
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "datetime"
        and isinstance(node.value, ast.Name)
        and node.value.id == "datetime"
    )


def naive_datetime(expr: ast.AST) -> str | None:
    """The call's text when ``expr`` surely makes a datetime without a time zone."""
    if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Attribute):
        return None
    func, args, keywords = expr.func, expr.args, {k.arg for k in expr.keywords}
    if not _is_datetime_class(func.value) or "tz" in keywords or "tzinfo" in keywords:
        return None
    method = func.attr
    naive = (
        (method in _NAIVE_NO_ARGS and (method == "utcnow" or not args))
        or (method in _NAIVE_ONE_ARG and (method == "utcfromtimestamp" or len(args) == 1))
        or (
            method == "strptime"
            and len(args) == 2
            and isinstance(args[1], ast.Constant)
            and isinstance(args[1].value, str)
            and "%z" not in args[1].value
        )
    )
    return ast.unparse(expr) if naive else None


def _is_timestamped_value(func: ast.AST, function: types.FunctionType) -> bool:
    """``func`` names Beam's TimestampedValue (``beam.window.TimestampedValue``, an
    imported ``TimestampedValue``), resolved in the function's globals and closure, not a
    class of the user's of that name."""
    from apache_beam.transforms.window import TimestampedValue

    chain: list[str] = []
    node = func
    while isinstance(node, ast.Attribute):
        chain.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or (chain and chain[0] != "TimestampedValue"):
        return False
    if not chain and node.id != "TimestampedValue":
        return False
    value = outer_value(function, node.id)
    for name in reversed(chain):
        value = getattr(value, name, None)
    return value is TimestampedValue


def _naive_timestamps(root: ast.AST, function: types.FunctionType) -> list[tuple[ast.AST, str]]:
    """(TimestampedValue call, the naive datetime's text) in one function."""
    assigned: dict[str, list[ast.AST]] = {}
    for node in own_nodes(root):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for n in ast.walk(target):
                    if isinstance(n, ast.Name):
                        assigned.setdefault(n.id, []).append(node.value if target is n else target)
    found = []
    for node in own_nodes(root):
        if not (isinstance(node, ast.Call) and _is_timestamped_value(node.func, function)):
            continue
        stamp = node.args[1] if len(node.args) > 1 else None
        stamp = next((k.value for k in node.keywords if k.arg == "timestamp"), stamp)
        if isinstance(stamp, ast.Name) and len(assigned.get(stamp.id, ())) == 1:
            stamp = assigned[stamp.id][0]
        text = naive_datetime(stamp) if stamp is not None else None
        if text is not None:
            found.append((node, text))
    return found


def naive_timestamp_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD318 for each user step that stamps elements with a datetime without a time zone."""
    out: list[Diagnostic] = []
    for node, target in shuffles.user_transforms(pipeline):
        try:
            for function in shuffles.emitting_functions(target):
                root = function_root(function)
                found = _naive_timestamps(root, function) if root is not None else []
                if not found:
                    continue
                call, text = found[0]
                where = shuffles.where(node)
                name = "the lambda" if function.__name__ == "<lambda>" else function.__qualname__
                line = line_of(function, call)
                at = f" (line {line})" if line else ""
                out.append(
                    diagnostic(
                        "BD318",
                        f"{name} stamps its elements with {text}{at}, a datetime without a "
                        "time zone; Beam turns a datetime into a timestamp only when it says "
                        'it is UTC, so the worker fails on the first element: "ValueError: '
                        'dt has no timezone info"',
                        path=f"{where['transform']} > {name}",
                        **where,
                    )
                )
        except Exception:  # noqa: BLE001 - a hostile user object: no finding, no crash
            continue
    return out


__all__ = ["naive_datetime", "naive_timestamp_diagnostics"]
