"""Values inside the elements that no coder can carry: dict views, generators, regular
expression matches (BD316).

A worker encodes a sample of every output with the output's coder, for its element counters
(``opcounters.OperationCounters.do_sample``: always the first ten elements), shuffle or not;
at a shuffle it encodes every element. Three kinds of value break there, whatever the pickler:

* a view of a dict (``d.keys()``, ``d.values()``, ``d.items()``): Beam's fallback coder is
  the standard pickle, which refuses it ("TypeError: cannot pickle 'dict_keys' object");
* a regular expression's match (``PATTERN.match(line)``): refused too ("cannot pickle
  're.Match' object"), where anything matches;
* a generator (``(w for w in words)``, a call of a generator function): where Beam infers an
  iterable type its coder *iterates* the generator, so the next step, or the other side of
  the shuffle, gets it empty, silently; where it cannot, the pickle refuses it.

Only what the code itself shows is claimed: a generator expression, a call of a generator
function of the user's code, a match of the ``re`` module or of a compiled pattern, and a view
method called with no argument on a dict: one the function builds (a display, ``dict(...)``,
``json.loads(...)``), or the element of a step whose input surely holds dicts (a ``Create``
of rows, a ``Map`` of ``json.loads`` or of a function that returns dicts). Other objects have
``keys()`` and ``items()`` that return lists (an email message, an XML element, a client).
The whole element of a FlatMap or a ``process`` (``return d.items()``) is iterated by Beam,
not encoded, and is fine.
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

import ast
import inspect
import re
import types
from collections.abc import Iterator
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors.emitted import outer_value
from beam_deps.check.detectors.function_source import (
    called_name,
    element_parameter,
    function_root,
    line_of,
    on_a_branch,
    own_nodes,
)
from beam_deps.check.detectors.side_inputs import elements_are_dicts
from beam_deps.diagnostics import Diagnostic
from beam_deps.pickling.locations import is_user_file

_VIEWS = {"keys": "dict_keys", "values": "dict_values", "items": "dict_items"}
_DICT_MAKERS = frozenset({"dict", "defaultdict", "OrderedDict", "Counter", "loads", "asdict"})
_GENERATOR = "generator"
_REGEX_CALLS = {
    "match": "re.Match",
    "search": "re.Match",
    "fullmatch": "re.Match",
    "finditer": "callable_iterator",
}


def _is_generator_function(value: Any) -> bool:
    return (
        isinstance(value, types.FunctionType)
        and bool(value.__code__.co_flags & inspect.CO_GENERATOR)
        and is_user_file(value.__code__.co_filename)
    )


class _Reader:
    """What the parts of one function's elements are, following its local variables."""

    def __init__(
        self, function: types.FunctionType, target: Any, root: ast.AST, dict_elements: bool
    ) -> None:
        self.function = function
        self.target = target
        # the element, when the step's input surely holds dicts (a Create of rows, a Map of
        # json.loads): its keys() is a view; any other object's may be a list
        self.dict_element = element_parameter(function) if dict_elements else None
        self.assigned: dict[str, list[ast.AST]] = {}
        for node in own_nodes(root):
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        self.assigned.setdefault(t.id, []).append(node.value)
                    else:  # unpacked or stored elsewhere: the name is not one value
                        for n in ast.walk(t):
                            if isinstance(n, ast.Name):
                                self.assigned.setdefault(n.id, []).append(t)
            elif isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For | ast.With):
                for n in ast.walk(getattr(node, "target", node)):
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                        self.assigned.setdefault(n.id, []).append(n)

    def kind(self, expr: ast.AST, depth: int = 0) -> str | None:
        """``"generator"`` or the view's type name when ``expr`` surely evaluates to one."""
        if isinstance(expr, ast.GeneratorExp):
            return _GENERATOR
        if isinstance(expr, ast.Call) and not expr.args and not expr.keywords:
            func = expr.func
            if isinstance(func, ast.Attribute) and func.attr in _VIEWS:
                return _VIEWS[func.attr] if self._a_dict(func.value) else None
        if isinstance(expr, ast.Call) and (made := self._regex_result(expr)) is not None:
            return made
        if isinstance(expr, ast.Call):
            func = expr.func
            called = None
            if isinstance(func, ast.Name):
                called = outer_value(self.function, func.id)
            elif (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "self"
                and not isinstance(self.target, types.FunctionType)
            ):
                called = inspect.getattr_static(type(self.target), func.attr, None)
            return _GENERATOR if _is_generator_function(called) else None
        if isinstance(expr, ast.Name) and depth < 3:
            values = self.assigned.get(expr.id)
            kinds = {self.kind(v, depth + 1) for v in values or ()}
            return kinds.pop() if len(kinds) == 1 else None
        return None

    def _a_dict(self, node: ast.AST, depth: int = 0) -> bool:
        """``node`` surely is a dict: a display, ``dict(...)``, ``json.loads(...)``, a
        variable set only from those, or the element of a step whose input holds dicts. An
        object's ``keys()`` (an email message's, an XML element's ``items()``) is a list."""
        if isinstance(node, ast.Dict | ast.DictComp):
            return True
        if isinstance(node, ast.Call):
            return called_name(node) in _DICT_MAKERS
        if isinstance(node, ast.Name) and depth < 3:
            if node.id == self.dict_element and node.id not in self.assigned:
                return True
            values = self.assigned.get(node.id)
            return bool(values) and all(self._a_dict(v, depth + 1) for v in values)
        return False

    def _regex_result(self, call: ast.Call) -> str | None:
        """``re.Match`` for ``re.match(...)``/``PATTERN.search(...)`` (None where nothing
        matches, which encodes), ``callable_iterator`` for ``finditer``."""
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return None
        if func.attr not in _REGEX_CALLS:
            return None
        receiver = outer_value(self.function, func.value.id)
        if not (receiver is re or isinstance(receiver, re.Pattern)):
            return None
        return _REGEX_CALLS[func.attr]

    def parts(self, element: ast.AST) -> Iterator[tuple[ast.AST, str]]:
        """(part, kind) for each part of one element that surely is a view or a generator."""
        stack = [element]
        while stack:
            node = stack.pop()
            kind = self.kind(node)
            if kind is not None:
                yield node, kind
            elif isinstance(node, ast.Tuple | ast.List | ast.Set):
                stack.extend(node.elts)
            elif isinstance(node, ast.Dict):
                stack.extend(v for v in (*node.keys, *node.values) if v is not None)
            elif isinstance(node, ast.IfExp):
                stack.extend((node.body, node.orelse))
            elif isinstance(node, ast.Starred):
                stack.append(node.value)
            elif isinstance(node, ast.ListComp | ast.SetComp):
                stack.append(node.elt)
            elif isinstance(node, ast.DictComp):
                stack.extend((node.key, node.value))


def _elements(function: types.FunctionType, returns: bool) -> list[tuple[ast.AST, bool]]:
    """(element expression, only sometimes): what a Map returns, what a FlatMap or
    ``process`` yields, and the items a FlatMap or ``process`` returns in a display or a
    comprehension (Beam iterates what they return)."""
    found = [
        (expr, sometimes)
        for expr, sometimes in shuffles.emitted_values(function, returns)
        if not isinstance(expr, shuffles.NoValue)
    ]
    root = function_root(function)
    if returns or root is None or function.__code__.co_flags & inspect.CO_GENERATOR:
        return found
    parents = {child: node for node in ast.walk(root) for child in ast.iter_child_nodes(node)}
    returned = [(root.body, False)] if isinstance(root, ast.Lambda) else []
    for node in own_nodes(root):
        if isinstance(node, ast.Return) and node.value is not None:
            returned.append((node.value, on_a_branch(node, parents, root)))
    for value, sometimes in returned:
        if isinstance(value, ast.List | ast.Tuple | ast.Set):
            found.extend((e, sometimes) for e in value.elts)
        elif isinstance(value, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            found.append((value.elt, sometimes))
    return found


def _finding(node: Any, function: Any, part: ast.AST, kind: str, sometimes: bool, read: bool):
    where = shuffles.where(node)
    name = "the lambda" if function.__name__ == "<lambda>" else function.__qualname__
    text = ast.unparse(part)
    text = text if len(text) <= 60 else text[:57] + "..."
    line = line_of(function, part)
    at = f" (line {line})" if line else ""
    if kind == _GENERATOR:
        what = f"a generator, {text}"
        outcome = (
            "encoding iterates it, so the next step (or the other side of a shuffle) gets it "
            "empty, silently; where Beam cannot infer an iterable type the worker fails with "
            "\"TypeError: cannot pickle 'generator' object\""
        )
    elif kind in _REGEX_CALLS.values():
        what = f"{text}, a {kind} object,"
        outcome = (
            "Beam's fallback coder, the standard pickle, refuses it: "
            f"\"TypeError: cannot pickle '{kind}' object\""
        )
    else:
        what = f"{text}, a {kind} view of a dict,"
        outcome = (
            "Beam's fallback coder, the standard pickle, refuses it: "
            f"\"TypeError: cannot pickle '{kind}' object\""
        )
    message = (
        f"{name} emits {what} inside its elements{at}; a worker encodes a sample of every "
        f"output with its coder (element counters), shuffle or not, and {outcome}"
    )
    if sometimes:
        message += " when an input takes that path"
    return diagnostic(
        "BD316",
        message,
        severity="error" if read and not sometimes else "warning",
        path=f"{where['transform']} > {name}",
        **where,
    )


def unencodable_value_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD316 for each user step that emits a dict view or a generator inside its elements
    (one finding per step: the first such part says it)."""
    readers = shuffles.consumers(pipeline)
    out: list[Diagnostic] = []
    for node, target in shuffles.user_transforms(pipeline):
        try:
            returns = shuffles.returns_elements(node)
            dict_elements = len(node.inputs) == 1 and elements_are_dicts(node.inputs[0])
            read = any(readers.get(id(o)) for o in node.outputs.values())
            for function in shuffles.emitting_functions(target):
                root = function_root(function)
                if root is None:
                    continue
                reader = _Reader(function, target, root, dict_elements)
                found = next(
                    (
                        (part, kind, sometimes)
                        for element, sometimes in _elements(function, returns)
                        for part, kind in reader.parts(element)
                    ),
                    None,
                )
                if found is not None:
                    out.append(_finding(node, function, *found, read))
        except Exception:  # noqa: BLE001 - a hostile user object: no finding, no crash
            continue
    return out


__all__ = ["unencodable_value_diagnostics"]
