"""A step emits elements to an output tag its ParDo does not declare (BD333).

``yield pvalue.TaggedOutput("invalid", line)`` sends the line to the output tagged
``"invalid"`` only if the ParDo has that output: the tags given to ``.with_outputs(...)``,
or read from its result (``results.invalid`` after ``.with_outputs()``). For any other tag
the worker makes a receiver with no consumer (``operations._TaggedReceivers.__missing__``)
and the elements vanish, with no error and no log line, on every runner and pickler
(apache/beam#19437; the classic shape is a dead-letter tag spelled ``"invalid"`` in the
DoFn and ``"invalid_rows"`` in ``with_outputs``, so the dead-letter file is always empty).

Decided from the code, nothing guessed: a tag counts only when its value is known (a
string constant, ``self.TAG`` read from the live DoFn, a global or closure constant,
``Class.TAG``). The finding is an error when the step also declares a tag that a later
step reads and the code never emits (every tag it emits is known, and it emits nothing
through helpers): that output is always empty, so the mistake has a reader. Otherwise
(a plain ``ParDo`` with no ``with_outputs``, or tags nobody reads) it is a warning: the
elements are dropped, which may be what the author accepted.
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

import ast
import types
from dataclasses import dataclass, field
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors.emitted import outer_value
from beam_deps.check.detectors.function_source import (
    assigned_values,
    bindings,
    called_name,
    function_root,
    line_of,
    own_nodes,
    parameters,
    self_attribute,
)
from beam_deps.diagnostics import Diagnostic

_UNKNOWN = object()


@dataclass
class _Tags:
    """The output tags a step's code emits to: each known tag with the line it is emitted
    at; ``plain`` when it also emits plain elements (to the main output); ``complete`` when
    every emission is known (a ``TaggedOutput`` with a known tag, or a value that surely is
    no ``TaggedOutput``: a display, a constant, the element)."""

    lines: dict[str, int | None] = field(default_factory=dict)
    plain: bool = False
    complete: bool = True


# what these build is never a TaggedOutput
_PLAIN_CALLS = frozenset(
    {"dict", "list", "tuple", "set", "str", "int", "float", "bool", "sorted", "len", "Row"}
    | {"TimestampedValue", "format", "join", "upper", "lower", "strip", "split"}
)
_PLAIN_NODES = (
    ast.Constant,
    ast.Dict,
    ast.List,
    ast.Tuple,
    ast.Set,
    ast.JoinedStr,
    ast.ListComp,
    ast.DictComp,
    ast.SetComp,
    ast.BinOp,
    ast.Compare,
    ast.UnaryOp,
)


def _tag_values(expr: ast.AST | None, function: types.FunctionType, target: Any) -> list[str]:
    """The strings a tag expression can be (both of ``"odd" if x % 2 else "even"``); empty
    when one of them is not known."""
    if isinstance(expr, ast.IfExp):
        body = _tag_values(expr.body, function, target)
        orelse = _tag_values(expr.orelse, function, target)
        return body + orelse if body and orelse else []
    value = _tag_value(expr, function, target)
    return [] if value is _UNKNOWN else [value]


def _tag_value(expr: ast.AST | None, function: types.FunctionType, target: Any) -> Any:
    """The string a tag expression surely is, else _UNKNOWN."""
    value: Any = _UNKNOWN
    if isinstance(expr, ast.Constant):
        value = expr.value
    elif (attr := self_attribute(expr)) is not None:
        value = getattr(target, attr, _UNKNOWN)
    elif isinstance(expr, ast.Name):
        value = outer_value(function, expr.id)
    elif isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        owner = outer_value(function, expr.value.id)
        if isinstance(owner, type):  # Tags.INVALID: a class's constant
            value = owner.__dict__.get(expr.attr, _UNKNOWN)
    return value if isinstance(value, str) else _UNKNOWN


def _emissions(value: ast.AST, returns: bool) -> list[ast.AST]:
    """The emitted values of one yield or return: a returned list or tuple display is
    iterated by Beam, so each of its items is an element."""
    if returns and isinstance(value, ast.List | ast.Tuple):
        return list(value.elts)
    return [value]


class _Reader:
    """Reads one function's emissions into a _Tags."""

    def __init__(self, function: types.FunctionType, target: Any, root: ast.AST) -> None:
        self.function, self.target, self.root = function, target, root
        self.parameters = parameters(root)

    def read(self, value: ast.AST, into: _Tags, follow: bool = True) -> None:
        if called_name(value) == "TaggedOutput":
            args = value.args  # type: ignore[attr-defined]
            tags = _tag_values(args[0] if args else None, self.function, self.target)
            if not tags:
                into.complete = False
            for tag in tags:
                into.lines.setdefault(tag, line_of(self.function, value))
        elif isinstance(value, _PLAIN_NODES) or called_name(value) in _PLAIN_CALLS:
            into.plain = True
        elif isinstance(value, ast.Name) and follow:
            stores = len(bindings(self.root, value.id))
            if value.id in self.parameters and not stores:
                into.plain = True  # the element itself, or an argument
                return
            values = assigned_values(self.root, value.id)
            if not values or len(values) != stores:
                into.complete = False  # bound otherwise too (a loop, an unpacking)
            for assigned in values:
                self.read(assigned, into, follow=False)
        else:
            into.complete = False  # a helper's result may be a TaggedOutput


def _emitted_tags(function: types.FunctionType, target: Any, into: _Tags) -> None:
    root = function_root(function)
    if root is None:
        into.complete = False
        return
    reader = _Reader(function, target, root)
    for node in own_nodes(root):
        if isinstance(node, ast.YieldFrom):
            into.complete = False
            continue
        if not isinstance(node, ast.Yield | ast.Return) or node.value is None:
            continue
        for value in _emissions(node.value, isinstance(node, ast.Return)):
            reader.read(value, into)


def step_tags(target: Any) -> _Tags | None:
    """The tags a step's user code (a DoFn's ``process`` and ``finish_bundle``, a FlatMap's
    function) emits to; None when there is no such code of the user's."""
    functions = shuffles.emitting_functions(target)
    if not functions:
        return None
    finish = getattr(type(target), "finish_bundle", None)
    if isinstance(finish, types.FunctionType) and not shuffles.is_beams(finish):
        functions.append(finish)
    tags = _Tags()
    for function in functions:
        _emitted_tags(function, target, tags)
    return tags


def output_tag_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD333 for each tag a step's code emits to that its ParDo does not have."""
    from apache_beam.transforms.core import ParDo

    out: list[Diagnostic] = []
    readers = shuffles.consumers(pipeline)
    for node in shuffles.nodes_of(pipeline, ParDo):
        target = shuffles.user_callable(node)
        if target is None or shuffles.is_beams(target):
            continue
        try:
            tags = step_tags(target)
        except Exception:  # noqa: BLE001 - a hostile user object: no finding
            continue
        declared = {t for t in node.outputs if t is not None}
        undeclared = [t for t in (tags.lines if tags else ()) if t not in declared]
        if not undeclared:
            continue
        assert tags is not None
        empty = sorted(
            t
            for t in declared - set(tags.lines)
            if tags.complete and readers.get(id(node.outputs[t]))
        )
        main = getattr(getattr(getattr(node, "parent", None), "transform", None), "_main_tag", None)
        if main in undeclared and tags.complete and not tags.plain:
            if readers.get(id(node.outputs.get(None))):  # the main output, always empty
                empty.append(main)
        out.append(_finding(node, target, tags, undeclared, sorted(declared), empty, main))
    return out


def _finding(
    node: Any,
    target: Any,
    tags: _Tags,
    undeclared: list[str],
    declared: list[str],
    empty: list,
    main: str | None,
) -> Diagnostic:
    where = shuffles.where(node)
    name = getattr(target, "__qualname__", None) or type(target).__qualname__
    sent = ", ".join(
        f"TaggedOutput({t!r}, ...)" + (f" (line {tags.lines[t]})" if tags.lines[t] else "")
        for t in undeclared
    )
    has = (
        f"declares the outputs {', '.join(map(repr, declared))}"
        if declared
        else "declares no tagged output (no .with_outputs(...))"
    )
    message = (
        f"{name} emits {sent}, but {where['transform']!r} {has}: the worker gives an "
        "undeclared tag a receiver with no consumer, so those elements are dropped "
        "silently"
    )
    if main in undeclared:
        message += (
            f" ({main!r} is the name with_outputs gives the main output, which only plain "
            "elements reach: `yield x`, not TaggedOutput)"
        )
    if empty:
        message += (
            f"; and {', '.join(map(repr, empty))}, which a later step reads, is never "
            "emitted to, so it is always empty"
        )
    fix = (
        {
            "fix": "Emit main-output elements with a plain `yield x`: TaggedOutput is for the "
            "other tags, the ones with_outputs names."
        }
        if main in undeclared
        else {}
    )
    return diagnostic(
        "BD333",
        message,
        severity="error" if empty else "warning",
        **fix,
        path=f"{where['transform']} > {name} > TaggedOutput({undeclared[0]!r})",
        **where,
    )
