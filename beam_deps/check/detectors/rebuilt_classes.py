"""What a class of the script loses when dill rebuilds it, and whether worker code reads it.

Helpers of BD307 (``main_session.rebuilt_class_diagnostics``). dill 0.3.6+ rebuilds a class
of ``__main__`` from the ``__orig_bases__`` it may only inherit (every subclass of the
Generic ``beam.PTransform``): the worker's class lacks the bases in between. Two questions,
each answered without guessing:

* what the worker's class lacks: the class pickled with Beam's pickler and loaded back here
  (``lost_names``), compared name by name with the real one;
* whether code that runs on the worker reads one of those names on ``self``: read from the
  script's source (``worker_reads``). Only code the class hands on as a value runs there (a
  closure or lambda made in a method, a bound method ``self.words`` passed to a transform),
  and the methods that code calls on ``self``; a method only called while the pipeline is
  built (``self.name("Read")`` in ``expand()``) is not worker code.
"""

from __future__ import annotations

import ast
import functools
import os
from collections.abc import Iterator
from typing import Any

Read = tuple[str, str, int]  # (the worker code's name, the attribute read on self, its line)


def lost_names(cls: type, library: str) -> tuple[set[str], tuple[type, ...]]:
    """(names ``cls`` has and the worker's rebuilt class has not, the rebuilt class's bases).

    Dunders are left out (``__init__`` and friends never run on a worker); so are plain data
    attributes of a class outside the script (``PTransform.pipeline``), which Beam may set on
    the instance itself, where they travel with it."""
    from beam_deps.pickling import dumps, loads

    try:
        rebuilt = loads(dumps(cls, library), library)
    except Exception:  # noqa: BLE001 - not picklable: other codes say so
        return set(), ()
    if rebuilt is cls or not isinstance(rebuilt, type):
        return set(), ()
    have = {n for c in rebuilt.__mro__ for n in vars(c)}
    lost = set()
    for c in cls.__mro__:
        for name, value in vars(c).items():
            if name in have or (name.startswith("__") and name.endswith("__")):
                continue
            if c.__module__ == "__main__" or hasattr(type(value), "__get__"):
                lost.add(name)
    return lost, rebuilt.__bases__


def worker_reads(cls: type, file: str, lost: set[str]) -> list[Read]:
    """Reads of a ``lost`` name on ``self`` by code of ``cls`` that runs on the worker.

    The class and its bases defined in the script are found in ``file`` by name (top-level
    classes only: a nested class is BD301's business). A name the script assigns on
    ``self`` somewhere is an instance attribute: it travels with the instance."""
    try:
        stat = os.stat(file)
        tree = _parse(file, stat.st_mtime_ns)
    except (OSError, SyntaxError, ValueError):
        return []
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    assigned: set[str] = set()
    for c in cls.__mro__:
        node = classes.get(c.__name__) if c.__module__ == "__main__" else None
        if node is None:
            continue
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                methods.setdefault(item.name, item)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Store):
                assigned.add(sub.attr)
    lost = lost - assigned
    if not lost:
        return []
    queue: list[tuple[str, ast.AST, str]] = []
    for method in methods.values():
        me = _self_name(method)
        if me is not None:
            queue.extend(_handed_on(method, me, methods))
    out: list[Read] = []
    done: set[str] = set()
    while queue:
        label, node, me = queue.pop(0)
        if label in done:
            continue
        done.add(label)
        for attribute, line in _self_reads(node, me):
            if attribute in lost:
                out.append((label, attribute, line))
            elif attribute in methods and _self_name(methods[attribute]) is not None:
                target = methods[attribute]
                queue.append((attribute, target, _self_name(target) or me))
    seen: set[tuple[str, str]] = set()
    return [r for r in out if (r[0], r[1]) not in seen and not seen.add((r[0], r[1]))]


@functools.lru_cache(maxsize=16)
def _parse(file: str, _mtime: int) -> ast.Module:
    with open(file, encoding="utf-8") as handle:
        return ast.parse(handle.read(), file)


def _self_name(fn: ast.AST) -> str | None:
    """The name a method calls its instance (``self``); None for static and class methods."""
    if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    for deco in fn.decorator_list:
        if isinstance(deco, ast.Name) and deco.id in ("staticmethod", "classmethod"):
            return None
    args = [*fn.args.posonlyargs, *fn.args.args]
    return args[0].arg if args else None


def _params(fn: ast.AST) -> set[str]:
    a = getattr(fn, "args", None)
    if a is None:
        return set()
    names = [*a.posonlyargs, *a.args, *a.kwonlyargs, *filter(None, (a.vararg, a.kwarg))]
    return {p.arg for p in names}


def _called(root: ast.AST) -> set[int]:
    """ids of the nodes ``root`` calls (``f(...)``): what is called is not handed on."""
    return {id(n.func) for n in ast.walk(root) if isinstance(n, ast.Call)}


def _handed_on(
    method: ast.AST, me: str, methods: dict[str, Any]
) -> Iterator[tuple[str, ast.AST, str]]:
    """The worker code ``method`` hands on as a value: ``self.m`` not called (a bound
    method), a lambda or an inner function over ``self`` not only called in place."""
    called = _called(method)
    owner = getattr(method, "name", "?")
    inner: dict[str, ast.AST] = {}
    for node in ast.walk(method):
        if node is method:
            continue
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Load)
            and isinstance(node.value, ast.Name)
            and node.value.id == me
            and node.attr in methods
            and id(node) not in called
        ):
            yield node.attr, methods[node.attr], _self_name(methods[node.attr]) or me
        elif isinstance(node, ast.Lambda) and me not in _params(node) and _uses(node, me):
            if id(node) not in called:
                yield f"{owner}.<locals>.<lambda>:{node.lineno}", node, me
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if me not in _params(node) and _uses(node, me):
                inner[node.name] = node
    for node in ast.walk(method):
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and node.id in inner
            and id(node) not in called
        ):
            yield f"{owner}.<locals>.{node.id}", inner[node.id], me


def _uses(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _self_reads(node: ast.AST, me: str) -> Iterator[tuple[str, int]]:
    """(attribute, line) for each ``self.attribute`` read in ``node`` (nested code included,
    except where a nested function rebinds the name)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n is not node and isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            if me in _params(n):
                continue
        if (
            isinstance(n, ast.Attribute)
            and isinstance(n.ctx, ast.Load)
            and isinstance(n.value, ast.Name)
            and n.value.id == me
        ):
            yield n.attr, n.lineno
        stack.extend(ast.iter_child_nodes(n))
