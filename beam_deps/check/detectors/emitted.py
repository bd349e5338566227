"""Which constructors' results a function hands back to Beam (yields or returns).

A DoFn that builds a helper object from a script class (a parser, a formatter) and emits
only plain values is fine on a worker; one that *emits* instances of that class sends them
through Beam's fallback coder, which pickles the class by reference to ``__main__``. Telling
the two apart needs the data flow of the function, which the source shows plainly:
``yield Point(x)``, ``return [Point(x) for x in xs]``, ``p = Point(x); yield key, p``.
"""

from __future__ import annotations

import ast
import types
from typing import Any

from beam_deps.check.detectors.function_source import (
    called_name,
    function_root,
    own_nodes,
    parameters,
    source_trees,
)
from beam_deps.check.detectors.worker_code import MISSING, closure_value
from beam_deps.pickling.locations import is_user_file

_GROWERS = ("append", "add", "extend", "insert", "appendleft")


ELEMENT, KEY, VALUE = "element", "key", "value"


def _leaves(expr: ast.AST | None, role: str = VALUE) -> list[tuple[ast.AST, str]]:
    """(expression, role) for the expressions whose values end up in what ``expr`` evaluates
    to (role ``"element"``: the whole element). An element that is a pair is a key and a
    value: Beam encodes keys with its deterministic coder (which carries script classes by
    value) and values with the pickling fallback, so the role decides whether a script
    class breaks."""
    out: list[tuple[ast.AST, str]] = []
    stack = [(expr, role)] if expr is not None else []
    while stack:
        node, role = stack.pop()
        if isinstance(node, ast.Tuple) and role == ELEMENT and len(node.elts) == 2:
            stack.extend(((node.elts[0], KEY), (node.elts[1], VALUE)))
        elif isinstance(node, ast.Tuple):
            stack.extend((e, role if role == KEY else VALUE) for e in node.elts)
        elif isinstance(node, ast.List | ast.Set):  # a returned list holds elements
            stack.extend((e, role) for e in node.elts)
        elif isinstance(node, ast.Dict):
            stack.extend((v, VALUE) for v in (*node.values, *node.keys) if v is not None)
        elif isinstance(node, ast.Starred):
            stack.append((node.value, role))
        elif isinstance(node, ast.IfExp):
            stack.extend(((node.body, role), (node.orelse, role)))
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            stack.append((node.elt, role))
        elif isinstance(node, ast.DictComp):
            stack.extend(((node.key, VALUE), (node.value, VALUE)))
        elif (wrapped := _wrapped_element(node)) is not None:  # TaggedOutput("ok", row)
            stack.append((wrapped, role))
        elif _copied(node):  # dict(parse(line)), list(rows): what the copy holds
            assert isinstance(node, ast.Call)
            copy = node.func.id  # type: ignore[attr-defined]
            stack.append((node.args[0], VALUE if copy == "dict" and role != KEY else role))
        else:
            out.append((node, role))
    return out


_WRAPPERS = {"TaggedOutput": (1, "value"), "TimestampedValue": (0, "value")}


def _wrapped_element(node: ast.AST) -> ast.AST | None:
    """The element Beam takes out of ``TaggedOutput(tag, value)`` or
    ``TimestampedValue(value, ts)`` (a tagged output's element, a timestamped one)."""
    name = called_name(node)
    if name not in _WRAPPERS:
        return None
    assert isinstance(node, ast.Call)
    position, keyword = _WRAPPERS[name]
    if len(node.args) > position:
        return node.args[position]
    return next((k.value for k in node.keywords if k.arg == keyword), None)


_COPIES = frozenset({"dict", "list", "tuple", "set", "frozenset", "sorted", "reversed"})


def _copied(node: ast.AST) -> bool:
    """A builtin that copies one iterable's items into a new container: the items are what
    it holds (``dict(parse(line))`` holds what ``parse`` returns)."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _COPIES
        and len(node.args) == 1
        and not node.keywords
        and not isinstance(node.args[0], ast.Starred)
    )


def _called_name(node: ast.AST) -> str | None:
    """``N`` for ``N(...)``, and for ``N.MEMBER`` and ``N[...]``: an Enum's members are
    emitted without a call (``Level.HIGH``, ``Level["HIGH"]``). The caller keeps only the
    names that are classes of the script (and, when not called, Enums)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node, ast.Attribute | ast.Subscript) and isinstance(node.value, ast.Name):
        return node.value.id
    return None


def emitted_calls(function: types.FunctionType) -> set[str] | None:
    """The names of the functions and methods whose results ``function`` yields or returns
    (``parse`` for ``yield parse(line)``, ``build`` for ``return self.build(x)``, and not
    ``parse`` for ``parse(line).date()``); None when its source cannot be read."""
    found = _emitted_names(function, called_name)
    return None if found is None else set(found)


def emitted_constructors(function: types.FunctionType) -> dict[str, set[str]] | None:
    """{name: roles} for each ``N`` such that a value built by ``N(...)`` is yielded or
    returned by ``function`` (or a function nested in it), as a grouping ``"key"`` or as
    (part of) a ``"value"``; None when its source cannot be read."""
    return _emitted_names(function, _called_name)


def _emitted_names(function: types.FunctionType, name_of: Any) -> dict[str, set[str]] | None:
    trees = source_trees(function)
    if trees is None:
        return None
    found: dict[str, set[str]] = {}
    variables: dict[str, set[str]] = {}
    assigned: list[tuple[str, ast.AST]] = []

    def take(expr: ast.AST | None, role: str) -> None:
        for leaf, leaf_role in _leaves(expr, role):
            if isinstance(leaf, ast.Name):
                variables.setdefault(leaf.id, set()).add(leaf_role)
            elif (name := name_of(leaf)) is not None:
                found.setdefault(name, set()).add(VALUE if leaf_role == ELEMENT else leaf_role)

    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Yield | ast.YieldFrom | ast.Return):
                take(node.value, ELEMENT)
            elif isinstance(node, ast.Lambda):
                take(node.body, ELEMENT)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for leaf, _ in _leaves(target):
                        if isinstance(leaf, ast.Name) and node.value is not None:
                            assigned.append((leaf.id, node.value))
                        elif (  # row["level"] = Level.HIGH: the value goes into ``row``
                            isinstance(leaf, ast.Subscript)
                            and isinstance(leaf.value, ast.Name)
                            and node.value is not None
                        ):
                            assigned.append((leaf.value.id, node.value))
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.attr in _GROWERS
            ):
                assigned.extend((node.func.value.id, arg) for arg in node.args)
    for _ in range(3):  # values flowing through a few variables
        for variable, value in assigned:
            for role in list(variables.get(variable, ())):
                take(value, role)
    return found


def emitted_tags(function: types.FunctionType) -> dict[str, set[str | None]] | None:
    """{name: tags} for each ``N`` such that a value built by ``N(...)`` is yielded or
    returned by ``function``, with the output tags it goes to: a constant tag of
    ``TaggedOutput("tag", value)``, None for the main output (also for a tag that is not a
    constant). Values flow through one assignment (``row = N(...); yield TaggedOutput("ok",
    row)``). None when the source cannot be read."""
    root = function_root(function)
    if root is None:
        return None
    assigned: dict[str, list[ast.AST]] = {}
    emitted: list[tuple[str | None, ast.AST]] = []
    for node in own_nodes(root):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            if isinstance(node.targets[0], ast.Name):
                assigned.setdefault(node.targets[0].id, []).append(node.value)
        elif isinstance(node, ast.Yield | ast.Return) and node.value is not None:
            value = node.value
            tag: str | None = None
            if _wrapped_element(value) is not None and called_name(value) == "TaggedOutput":
                first = value.args[0] if value.args else None  # type: ignore[attr-defined]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    tag = first.value
                value = _wrapped_element(value)
            emitted.append((tag, value))
    found: dict[str, set[str | None]] = {}
    for tag, value in emitted:
        exprs = [leaf for leaf, _ in _leaves(value)]
        exprs += [v for e in exprs if isinstance(e, ast.Name) for v in assigned.get(e.id, [])]
        for expr in exprs:
            for leaf, _ in _leaves(expr):
                if (name := _called_name(leaf)) is not None:
                    found.setdefault(name, set()).add(tag)
    return found


def emitted_functions(
    function: types.FunctionType, _factory: bool = False
) -> list[tuple[str, str]] | None:
    """(what, qualified name) for each function ``function`` yields or returns inside its
    elements, as a grouping *value* (keys take another coder): ``what`` is ``"local"`` (a
    lambda or a ``def`` made inside ``function``: the standard pickle refuses "local
    object"s) or ``"script"`` (a function of the script's ``__main__``, which the standard
    pickle looks up by name on the worker, where ``__main__`` is Beam's). Functions of
    importable modules (``len``, ``str.upper``) are pickled by reference and are fine.
    None when the source cannot be read. A call of a user function that returns a local
    function (a factory, one level deep) counts as that local function."""
    root = function_root(function)
    if root is None:
        return None
    owner = function.__qualname__
    local_defs = {
        n.name for n in own_nodes(root) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    variables: dict[str, set[str]] = {}
    assigned: list[tuple[str, ast.AST]] = []
    found: dict[str, str] = {}

    def take(expr: ast.AST | None, role: str) -> None:
        for leaf, leaf_role in _leaves(expr, role):
            if leaf_role == KEY:
                continue
            if isinstance(leaf, ast.Lambda):
                found.setdefault(f"{owner}.<locals>.<lambda>", "local")
            elif (table := _looked_up(leaf)) is not None:
                # HANDLERS[h], HANDLERS.get(h): one of a global table's functions
                for what, name in _table_functions(outer_value(function, table)):
                    found.setdefault(name, what)
            elif isinstance(leaf, ast.Name):
                variables.setdefault(leaf.id, set()).add(leaf_role)
            elif isinstance(leaf, ast.Call) and leaf.args and _is_partial(function, leaf.func):
                # functools.partial(f, ...) pickles f by name inside it
                take(leaf.args[0], leaf_role)
            elif isinstance(leaf, ast.Call) and isinstance(leaf.func, ast.Name) and not _factory:
                # ``make_rule(2)``: a function of the user's that returns a local function
                # (a factory) puts that local function in the element
                made = outer_value(function, leaf.func.id)
                if isinstance(made, types.FunctionType) and is_user_file(made.__code__.co_filename):
                    for what, name in emitted_functions(made, _factory=True) or ():
                        if what == "local":
                            found.setdefault(name, "local")

    if isinstance(root, ast.Lambda):
        take(root.body, ELEMENT)
    for node in own_nodes(root):
        if isinstance(node, ast.Yield | ast.YieldFrom | ast.Return):
            take(node.value, ELEMENT)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf, _ in _leaves(target):
                    if isinstance(leaf, ast.Name) and node.value is not None:
                        assigned.append((leaf.id, node.value))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.attr in _GROWERS
        ):
            assigned.extend((node.func.value.id, arg) for arg in node.args)
    for _ in range(3):  # values flowing through a few variables
        for variable, value in assigned:
            for role in list(variables.get(variable, ())):
                take(value, role)
    assigned_names = {name for name, _ in assigned}
    for name in variables:
        if name in local_defs:
            found.setdefault(f"{owner}.<locals>.{name}", "local")
        elif name not in assigned_names and name not in parameters(root):
            value = outer_value(function, name)
            if _script_function(value):
                local = "<locals>" in value.__qualname__
                found.setdefault(value.__qualname__, "local" if local else "script")
    return [(what, name) for name, what in found.items()]


def _is_partial(function: types.FunctionType, callee: ast.AST) -> bool:
    """``partial(...)`` or ``functools.partial(...)`` as the function sees those names."""
    import functools

    if isinstance(callee, ast.Name):
        return outer_value(function, callee.id) is functools.partial
    if isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Name):
        return getattr(outer_value(function, callee.value.id), callee.attr, None) is (
            functools.partial
        )
    return False


def _script_function(value: object) -> bool:
    return isinstance(value, types.FunctionType) and value.__module__ == "__main__"


def _looked_up(leaf: ast.AST) -> str | None:
    """``T`` for ``T[key]`` and ``T.get(key)``: an item of a table the function does not
    define itself (the caller resolves ``T`` as a closure variable or a global)."""
    if isinstance(leaf, ast.Subscript) and isinstance(leaf.value, ast.Name):
        if not isinstance(leaf.slice, ast.Slice):
            return leaf.value.id
    if (
        isinstance(leaf, ast.Call)
        and isinstance(leaf.func, ast.Attribute)
        and leaf.func.attr == "get"
        and isinstance(leaf.func.value, ast.Name)
    ):
        return leaf.func.value.id
    return None


def _table_functions(table: object) -> list[tuple[str, str]]:
    """The script's function an item of ``table`` surely is: a dict's values or a list's
    items when every one is a function of ``__main__`` (a dispatch table). Only the first is
    named, since the item depends on the data; a table that also holds importable functions
    (``len``) or other values may give one that pickles, so it is not claimed."""
    items = table_values(table)
    if not items or not all(_script_function(item) for item in items):
        return []
    first = items[0]
    return [("local" if "<locals>" in first.__qualname__ else "script", first.__qualname__)]


def table_values(table: object) -> list[Any]:
    """What ``table[key]`` can give: a dict's values, a list's or a tuple's items (none for
    anything else, whose items the code does not show)."""
    if isinstance(table, dict):
        return list(table.values())
    if isinstance(table, list | tuple):
        return list(table)
    return []


def outer_value(function: types.FunctionType, name: str):
    """What ``name`` means inside ``function`` when it is not one of its own variables: a
    variable of an enclosing function (a closure cell) or a global."""
    code = function.__code__
    if name in code.co_freevars:
        value = closure_value(function, name)
        return None if value is MISSING else value  # an empty cell: nothing
    if name in code.co_varnames:
        return None
    return function.__globals__.get(name)
