"""A FlatMap that passes on each element of a grouping step as it is (BD338).

``GroupByKey``, ``GroupIntoBatches``, ``CoGroupByKey``, ``CombinePerKey`` and ``GroupBy``
emit (key, group) pairs. ``beam.FlatMap(lambda x: x)`` right after one is meant to go "back
to single elements", but FlatMap iterates what its function returns, and that is the pair:
it emits the key and then the whole group as two elements (apache/beam#28716: a file with a
line ``None`` and a line ``['a', 'b', 'c']``). Nothing fails.

Claimed only where both halves are certain: the step is a FlatMap whose function returns its
argument itself (``lambda x: x``, a ``def`` whose one statement is ``return x``, or
``list``/``tuple``/``iter`` of it), and its input is the output of one of those grouping
transforms of Beam's (read off the graph, not the labels).
"""

from __future__ import annotations

import ast
import types
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors.function_source import element_parameter, function_root
from beam_deps.diagnostics import Diagnostic

_COPIES = frozenset({"list", "tuple", "iter"})
_UP = 4  # composites followed up from the step that made the input


def ungrouping_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD338 for each FlatMap of the user's that passes a grouping step's pairs on as they
    are."""
    from beam_deps.pipeline.payloads import wrapper_kind

    out: list[Diagnostic] = []
    for node, target in shuffles.user_transforms(pipeline):
        try:
            fn = getattr(getattr(node, "transform", None), "fn", None)
            if wrapper_kind(fn) != "FlatMap" or not _identity(target):
                continue
            grouping = _grouping_producer(node)
        except Exception:  # noqa: BLE001 - a hostile user object: no finding, no crash
            continue
        if grouping is None:
            continue
        where = shuffles.where(node)
        kind = type(grouping.transform).__name__
        out.append(
            diagnostic(
                "BD338",
                f"{where['transform']} returns each element of {grouping.full_label!r} as it "
                f"is, and {kind} emits (key, value) pairs: FlatMap iterates the pair, so it "
                f"emits the key and then the {_value_of(kind)} as two elements, silently",
                path=where["transform"],
                **where,
            )
        )
    return out


def _value_of(kind: str) -> str:
    return {
        "GroupIntoBatches": "whole batch",
        "CombinePerKey": "combined value",
        "CoGroupByKey": "dict of groups",
    }.get(kind, "whole group")


def _identity(fn: Any) -> bool:
    """``fn`` returns its argument itself, or a list, tuple or iterator of its items."""
    if not isinstance(fn, types.FunctionType):
        return False
    name = element_parameter(fn)
    root = function_root(fn)
    if name is None or root is None or fn.__code__.co_argcount != 1:
        return False
    if isinstance(root, ast.Lambda):
        body = root.body
    elif isinstance(root, ast.FunctionDef) and len(root.body) == 1:
        statement = root.body[0]
        body = statement.value if isinstance(statement, ast.Return) else None
    else:
        return False
    if (
        isinstance(body, ast.Call)
        and isinstance(body.func, ast.Name)
        and body.func.id in _COPIES
        and body.func.id not in fn.__globals__
        and len(body.args) == 1
        and not body.keywords
    ):
        body = body.args[0]
    return isinstance(body, ast.Name) and body.id == name


def _grouping_producer(node: Any) -> Any | None:
    """The grouping transform of Beam's whose output is the step's input, or None."""
    from apache_beam.transforms.core import CombinePerKey, GroupBy, GroupByKey
    from apache_beam.transforms.util import CoGroupByKey, GroupIntoBatches

    kinds = (GroupByKey, GroupIntoBatches, CoGroupByKey, CombinePerKey, GroupBy)
    inputs = list(getattr(node, "main_inputs", {}).values()) or list(node.inputs)[:1]
    if len(inputs) != 1:
        return None
    pcoll = inputs[0]
    current = getattr(pcoll, "producer", None)
    for _ in range(_UP):
        if current is None:
            return None
        outputs = list((getattr(current, "outputs", None) or {}).values())
        if pcoll not in outputs:
            return None  # a composite whose output is another step's
        if isinstance(current.transform, kinds):
            return current
        current = getattr(current, "parent", None)
    return None


__all__ = ["ungrouping_diagnostics"]
