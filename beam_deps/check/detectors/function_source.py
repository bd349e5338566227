"""The source of a user function as an AST: what its code emits, reads and returns.

Several detectors read a DoFn's or a lambda's own code (what it yields, which field it keys
on, which expression it returns under a declared type). ``inspect.getsource`` gives the
lines a function sits on, which for a lambda is usually not a whole statement
(``| beam.Map(lambda x: (x, 1))``); this module finds the function's own node in them, the
same way for every detector (each parses it again: nothing is cached).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from collections.abc import Iterator


def element_parameter(function: types.FunctionType) -> str | None:
    """The parameter a step's function gets the element in: the first, after ``self`` for a
    method (a DoFn's ``process``); None for a function without one."""
    code = function.__code__
    params = code.co_varnames[: code.co_argcount]
    params = params[1:] if params[:1] == ("self",) else params
    return params[0] if params else None


def source_trees(function: types.FunctionType) -> list[ast.AST] | None:
    """The parsed source of ``function``'s lines (several trees for a lambda's line), or None."""
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


SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def own_nodes(root: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``root``'s body, not those of the functions and classes nested in it:
    a helper's ``return`` is not what the function emits."""
    stack = list(ast.iter_child_nodes(root))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, SCOPES):
            stack.extend(ast.iter_child_nodes(node))


def bindings(root: ast.AST, name: str) -> list[ast.Name]:
    """The places the function's own code binds ``name`` (an assignment, a loop or with
    target, an unpacking), not those of functions nested in it: a parameter rebound is no
    longer what the caller passed."""
    return [
        node
        for node in own_nodes(root)
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store)
    ]


def assigned_values(root: ast.AST, name: str) -> list[ast.AST]:
    """The values the function's own code assigns to ``name`` with a plain ``name = value``
    (compare with ``bindings`` to know whether it is bound otherwise too)."""
    return [
        node.value
        for node in own_nodes(root)
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id == name
    ]


def parameters(root: ast.AST) -> set[str]:
    """The names of a function's (or a lambda's) parameters."""
    args = getattr(root, "args", None)
    if args is None:
        return set()
    return {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)} | {
        a.arg for a in (args.vararg, args.kwarg) if a is not None
    }


def called_name(node: ast.AST) -> str | None:
    """``f`` for a call ``f(...)`` or ``obj.f(...)``: the name of the function or method
    called (None for anything else)."""
    func = getattr(node, "func", None) if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def self_attribute(node: ast.AST) -> str | None:
    """``X`` for ``self.X``, else None."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    ):
        return node.attr
    return None


def function_root(function: types.FunctionType) -> ast.AST | None:
    """The AST of ``function`` itself: its ``def``, or the one lambda on its line whose
    parameters are its own (None when that is ambiguous or the source cannot be read)."""
    trees = source_trees(function)
    if not trees:
        return None
    code = function.__code__
    params = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    if code.co_name != "<lambda>":
        for node in ast.walk(trees[0]):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node if node.name == code.co_name else None
        return None
    # The lambda's lines may parse as whole statements (a parenthesised chain of transforms
    # spanning lines): then look at every lambda in them.
    candidates = [
        node
        for t in trees
        for node in ([t.body] if isinstance(t, ast.Expression) else ast.walk(t))
        if isinstance(node, ast.Lambda)
    ]
    lambdas = [
        node
        for node in candidates
        if [a.arg for a in (*node.args.args, *node.args.kwonlyargs)] == params
    ]
    return lambdas[0] if len(lambdas) == 1 else None


def line_of(function: types.FunctionType, node: ast.AST) -> int | None:
    """The file line of ``node`` of ``function_root(function)``: the source of a ``def``
    starts at its first line (``co_firstlineno``, its first decorator); a lambda's lines
    are joined into one, so its nodes have no line of their own (None)."""
    if function.__code__.co_name == "<lambda>":
        return None
    lineno = getattr(node, "lineno", None)
    return None if lineno is None else function.__code__.co_firstlineno + lineno - 1


def falls_through(body: list[ast.stmt]) -> bool:
    """Whether running ``body`` can reach its end (a function then returns None): not after
    a ``return`` or ``raise``, nor an ``if``/``try``/``with`` whose every way ends so."""
    if not body:
        return True
    last = body[-1]
    if isinstance(last, ast.Return | ast.Raise):
        return False
    if isinstance(last, ast.If):
        return falls_through(last.body) or falls_through(last.orelse)
    if isinstance(last, ast.With | ast.AsyncWith):
        return falls_through(last.body)
    if isinstance(last, ast.Try):
        if last.finalbody and not falls_through(last.finalbody):
            return False
        ways = [last.orelse or last.body, *(h.body for h in last.handlers)]
        return any(falls_through(way) for way in ways)
    if isinstance(last, ast.While):
        endless = isinstance(last.test, ast.Constant) and last.test.value is True
        return not endless or any(isinstance(n, ast.Break) for n in ast.walk(last))
    # A loop that returns from inside, or a match's cases, is not followed: not claimed.
    return not isinstance(last, ast.For | ast.AsyncFor | ast.Match)


_BRANCHES = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.ExceptHandler,
    ast.match_case,
    ast.IfExp,
    ast.BoolOp,
    ast.comprehension,
)


def on_a_branch(node: ast.AST, parents: dict[ast.AST, ast.AST], root: ast.AST) -> bool:
    """Whether ``node`` runs only for some inputs: inside an ``if``, a loop, an ``except``,
    a ``match`` case (the data decides whether a worker ever meets it)."""
    while node is not root and node in parents:
        node = parents[node]
        if isinstance(node, _BRANCHES):
            return True
    return False


__all__ = [
    "SCOPES",
    "assigned_values",
    "bindings",
    "falls_through",
    "function_root",
    "line_of",
    "on_a_branch",
    "own_nodes",
    "parameters",
    "source_trees",
]
