"""What reaches a shuffle: the user transform that produces its elements, and their code.

Between fused steps elements are Python objects; at a shuffle (GroupByKey, and the
CombinePerKey and Reshuffle built on it) the worker encodes them with the coder of the
PCollection's type. The detectors of what that encoding does (element_coders,
declared_types) start from here: the first user transform upstream of the shuffle, through
Beam's own steps (Reshuffle's key-adding Map), never through another user transform, which
may reshape the element; and the expressions its code returns or yields.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Iterator
from typing import Any

from beam_deps.check.detectors.function_source import (
    element_parameter,
    falls_through,
    function_root,
    on_a_branch,
    own_nodes,
)


def user_callable(node: Any) -> Any | None:
    """The user's function (Map/FlatMap/MapTuple/Filter) or DoFn of a ParDo node."""
    from apache_beam.transforms.core import ParDo

    from beam_deps.pipeline.payloads import user_code

    transform = getattr(node, "transform", None)
    if not isinstance(transform, ParDo):
        return None
    return user_code(transform.fn)


def is_beams(target: Any) -> bool:
    module = getattr(target, "__module__", None) or type(target).__module__ or ""
    return module.startswith("apache_beam.")


def deterministic_keys(pipeline: Any) -> bool:
    """Does the job encode grouping keys with the deterministic coder? Not where the user
    passed ``--allow_non_deterministic_key_coders`` (then any picklable key is taken)."""
    from apache_beam.options.pipeline_options import TypeOptions

    options = getattr(pipeline, "_options", None)
    try:
        return not options.view_as(TypeOptions).allow_non_deterministic_key_coders
    except Exception:  # noqa: BLE001 - no options: Beam's default
        return True


def nodes_of(pipeline: Any, kind: type | tuple[type, ...], composites: bool = False) -> list[Any]:
    """The pipeline's nodes whose transform is a ``kind``, in pipeline order: the leaves, and
    with ``composites`` the composite transforms too (a CoGroupByKey, a CombinePerKey)."""
    from apache_beam.pipeline import PipelineVisitor

    found: list[Any] = []

    class Visitor(PipelineVisitor):
        def enter_composite_transform(self, node: Any) -> None:
            if composites and isinstance(node.transform, kind):
                found.append(node)

        def visit_transform(self, node: Any) -> None:
            if isinstance(node.transform, kind):
                found.append(node)

    pipeline.visit(Visitor())
    return found


def shuffles_of(pipeline: Any) -> list[Any]:
    """The pipeline's ``GroupByKey`` nodes: where elements are encoded by a coder (a
    ``CoGroupByKey``, a ``Reshuffle``, a combine per key all group through one)."""
    from apache_beam.transforms.core import GroupByKey

    return nodes_of(pipeline, GroupByKey)


# Beam's own DoFns that key each element whole for a shuffle (a sink's shards)
_KEYING_DOFNS = frozenset({"_RoundRobinKeyFn"})


def producers_into_shuffles(pipeline: Any) -> Iterator[tuple[Any, Any, Any]]:
    """(producer node, GroupByKey node, the producer's user function or DoFn): the first user
    transform upstream of each shuffle, through Beam's own steps that keep the element whole
    (Reshuffle's key-adding Map, a sink's shard-key Map, a WindowInto). A Beam DoFn that
    makes other elements ends the walk: WriteToText's own GroupByKey shuffles the names of
    the files its WriteBundles step wrote, never the elements."""
    from apache_beam.transforms.core import WindowInto

    from beam_deps.pipeline.payloads import wrapper_kind

    for gbk in shuffles_of(pipeline):
        producer = getattr(gbk.inputs[0], "producer", None) if gbk.inputs else None
        for _ in range(4):
            target = user_callable(producer) if producer is not None else None
            if target is None:
                break
            if not is_beams(target):
                yield producer, gbk, target
                break
            fn = producer.transform.fn
            keeps = (
                isinstance(producer.transform, WindowInto)
                or wrapper_kind(fn) in ("Map", "MapTuple", "FlatMap")
                or type(fn).__name__ in _KEYING_DOFNS
            )
            if not keeps:
                break
            producer = getattr(producer.inputs[0], "producer", None) if producer.inputs else None


def user_transforms(pipeline: Any) -> list[tuple[Any, Any]]:
    """(node, the user's function or DoFn) for every ParDo of the pipeline that runs the
    user's code (not Beam's own steps, such as Create's or Reshuffle's)."""
    from apache_beam.pipeline import PipelineVisitor

    found: list[tuple[Any, Any]] = []

    class Visitor(PipelineVisitor):
        def visit_transform(self, node: Any) -> None:
            target = user_callable(node)
            if target is not None and not is_beams(target):
                found.append((node, target))

    pipeline.visit(Visitor())
    return found


def emitting_functions(target: Any) -> list[types.FunctionType]:
    """The functions whose results are the elements: a callable itself, or a DoFn's
    ``process`` (defined in the user's code)."""
    if isinstance(target, types.FunctionType):
        return [target]
    process = getattr(type(target), "process", None)
    return [process] if isinstance(process, types.FunctionType) else []


def where(node: Any) -> dict[str, Any]:
    file, line = getattr(node, "_beam_deps_location", (None, None))
    label = getattr(node, "_beam_deps_user_label", None) or node.full_label
    return {"transform": label, "file": file, "line": line}


def returns_elements(node: Any) -> bool:
    """Whether the user function's ``return`` value is the element (Map, MapTuple), rather
    than an iterable of elements (FlatMap, a DoFn's ``process``, whose ``yield``s are)."""
    from beam_deps.pipeline.payloads import wrapper_kind

    fn = getattr(getattr(node, "transform", None), "fn", None)
    return wrapper_kind(fn) in ("Map", "MapTuple")


def element_expressions(
    function: types.FunctionType, returns: bool, root: ast.AST | None = None
) -> list[ast.AST]:
    """The expressions whose values are the elements: what a Map's function returns (a
    lambda's body), what a FlatMap's or a DoFn's ``yield``s. Nodes of ``root`` when given
    (``function_root(function)``, so the caller can walk up from them)."""
    root = root or function_root(function)
    if root is None:
        return []
    if isinstance(root, ast.Lambda):
        return [root.body] if returns else []
    wanted = ast.Return if returns else ast.Yield
    return [n.value for n in own_nodes(root) if isinstance(n, wanted) and n.value is not None]


class NoValue(ast.Constant):
    """The None a ``def`` returns where it ends, or returns, without a value."""


def emitted_values(function: types.FunctionType, returns: bool) -> list[tuple[ast.AST, bool]]:
    """(expression, only sometimes) for what ``function`` emits; for a Map's ``def``, a
    ``None`` for each bare ``return`` and for the end reached without a ``return`` (only
    sometimes when the function returns a value on another path)."""
    root = function_root(function)
    if root is None:
        return []
    parents = {child: node for node in ast.walk(root) for child in ast.iter_child_nodes(node)}
    returns_nodes = [n for n in own_nodes(root) if isinstance(n, ast.Return)]
    # A def with several returns: which one runs depends on the input, like a branch.
    several = len(returns_nodes) > 1
    found = [
        (expr, on_a_branch(expr, parents, root) or (returns and several))
        for expr in element_expressions(function, returns, root)
    ]
    if not returns or not isinstance(root, ast.FunctionDef):
        return found
    returns_values = any(n.value is not None for n in returns_nodes)
    for node in returns_nodes:
        if node.value is None:
            sometimes = on_a_branch(node, parents, root) or several
            found.append((NoValue(None, lineno=node.lineno), sometimes))
    if falls_through(root.body):
        end = NoValue(None, lineno=root.body[-1].end_lineno or root.lineno)
        found.append((end, returns_values))
    return found


def passes_element_on(function: Any, returns: bool) -> bool:
    """``function`` emits its element parameter unchanged, surely: every emitted value is
    the parameter itself or ``TimestampedValue(parameter, ...)``, and there is one."""
    element = element_parameter(function)
    if element is None:
        return False
    emitted = emitted_values(function, returns)
    if not emitted:
        return False
    for expr, sometimes in emitted:
        if sometimes:
            return False
        if isinstance(expr, ast.Call) and expr.args:
            name = expr.func.attr if isinstance(expr.func, ast.Attribute) else None
            name = expr.func.id if isinstance(expr.func, ast.Name) else name
            if name != "TimestampedValue":
                return False
            expr = expr.args[0]
        if not (isinstance(expr, ast.Name) and expr.id == element):
            return False
    return True


def lifted(gbk: Any) -> bool:
    """The shuffle of a combine per key (``CombinePerKey``, and ``Count.PerKey``,
    ``CombineGlobally``... built on it): runners lift the combine before it, so what crosses
    it are accumulators, not the producer's elements (``CombinePerKey(sum)`` of the floats
    of an ``int``-declared pair sums them as floats and is right: proven on isolated
    workers)."""
    from apache_beam.transforms.core import CombinePerKey

    node = getattr(gbk, "parent", None)
    for _ in range(6):
        if node is None:
            return False
        if isinstance(getattr(node, "transform", None), CombinePerKey):
            return True
        node = getattr(node, "parent", None)
    return False


def consumers(pipeline: Any) -> dict[int, list[Any]]:
    """id of each PCollection -> the transform nodes that read it."""
    from apache_beam.pipeline import PipelineVisitor

    found: dict[int, list[Any]] = {}

    class Visitor(PipelineVisitor):
        def visit_transform(self, node: Any) -> None:
            for pcoll in node.inputs:
                found.setdefault(id(pcoll), []).append(node)

    pipeline.visit(Visitor())
    return found


__all__ = [
    "NoValue",
    "consumers",
    "deterministic_keys",
    "element_expressions",
    "emitted_values",
    "emitting_functions",
    "is_beams",
    "lifted",
    "nodes_of",
    "producers_into_shuffles",
    "returns_elements",
    "user_callable",
    "user_transforms",
    "where",
]
