"""Which constructors' results a function hands back to Beam (yields or returns).

A DoFn that builds a helper object from a script class (a parser, a formatter) and emits
only plain values is fine on a worker; one that *emits* instances of that class sends them
through Beam's fallback coder, which pickles the class by reference to ``__main__``. Telling
the two apart needs the data flow of the function, which the source shows plainly:
``yield Point(x)``, ``return [Point(x) for x in xs]``, ``p = Point(x); yield key, p``.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types

_GROWERS = ("append", "add", "extend", "insert", "appendleft")


def _source_trees(function: types.FunctionType) -> list[ast.AST] | None:
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return None
    try:
        return [ast.parse(source)]
    except SyntaxError:
        pass
    # A lambda's source is the line it sits on, usually not a whole statement
    # (``| beam.Map(lambda x: Point(x))``): parse the longest expression from each "lambda".
    trees: list[ast.AST] = []
    text = " ".join(source.split("\n"))
    start = text.find("lambda")
    while start != -1:
        for end in range(len(text), start, -1):
            try:
                trees.append(ast.parse(text[start:end], mode="eval"))
                break
            except SyntaxError:
                continue
        start = text.find("lambda", start + 1)
    return trees or None


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
        else:
            out.append((node, role))
    return out


def _called_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id
    return None


def emitted_constructors(function: types.FunctionType) -> dict[str, set[str]] | None:
    """{name: roles} for each ``N`` such that a value built by ``N(...)`` is yielded or
    returned by ``function`` (or a function nested in it), as a grouping ``"key"`` or as
    (part of) a ``"value"``; None when its source cannot be read."""
    trees = _source_trees(function)
    if trees is None:
        return None
    found: dict[str, set[str]] = {}
    variables: dict[str, set[str]] = {}
    assigned: list[tuple[str, ast.AST]] = []

    def take(expr: ast.AST | None, role: str) -> None:
        for leaf, leaf_role in _leaves(expr, role):
            if isinstance(leaf, ast.Name):
                variables.setdefault(leaf.id, set()).add(leaf_role)
            elif (name := _called_name(leaf)) is not None:
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
