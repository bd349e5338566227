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


def _leaves(expr: ast.AST | None) -> list[ast.AST]:
    """The expressions whose values end up in what ``expr`` evaluates to."""
    out: list[ast.AST] = []
    stack = [expr] if expr is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            stack.extend(node.elts)
        elif isinstance(node, ast.Dict):
            stack.extend(v for v in node.values if v is not None)
            stack.extend(k for k in node.keys if k is not None)
        elif isinstance(node, ast.Starred):
            stack.append(node.value)
        elif isinstance(node, ast.IfExp):
            stack.extend((node.body, node.orelse))
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            stack.append(node.elt)
        elif isinstance(node, ast.DictComp):
            stack.extend((node.key, node.value))
        else:
            out.append(node)
    return out


def _called_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id
    return None


def emitted_constructors(function: types.FunctionType) -> set[str] | None:
    """Names ``N`` such that a value built by ``N(...)`` is yielded or returned by
    ``function`` (or a function nested in it); None when its source cannot be read."""
    trees = _source_trees(function)
    if trees is None:
        return None
    names: set[str] = set()
    variables: set[str] = set()
    assigned: list[tuple[str, ast.AST]] = []
    for tree in trees:
        for node in ast.walk(tree):
            value = None
            if isinstance(node, ast.Yield | ast.YieldFrom | ast.Return):
                value = node.value
            elif isinstance(node, ast.Lambda):
                value = node.body
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for leaf in _leaves(target):
                        if isinstance(leaf, ast.Name) and node.value is not None:
                            assigned.append((leaf.id, node.value))
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.attr in _GROWERS
            ):
                assigned.extend((node.func.value.id, arg) for arg in node.args)
            for leaf in _leaves(value):
                if isinstance(leaf, ast.Name):
                    variables.add(leaf.id)
                elif (name := _called_name(leaf)) is not None:
                    names.add(name)
    for variable, value in assigned:
        if variable in variables:
            names.update(n for leaf in _leaves(value) if (n := _called_name(leaf)))
    return names
