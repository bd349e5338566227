"""A Beam metric updated on a thread the user's step starts (BD116).

Beam counts a metric in the container of the bundle being processed, which it finds through
the *current thread's* state sampler (``get_current_tracker()``): a ``counter.inc()`` made on
another thread finds none and is dropped, without a word (apache/beam#21217, open since
2021, on every Beam this tool supports). A DoFn that hands work to a ``ThreadPoolExecutor``
in ``setup`` and counts inside the submitted function therefore reports 0 for that counter,
however many elements it processed; dashboards and the job's own metric checks read
nothing.

Reported where the code decides it: a step's ``process`` (``start_bundle``,
``finish_bundle``) or its function hands a function to another thread (``.submit(f, ...)``,
``threading.Thread(target=f, ...)``, a pool's ``map``/``apply_async`` where the pool is made
in the DoFn from a class named ``*Executor``/``*Pool``), and that function updates a Beam
metric (``inc``/``dec``/``update``/``set``/``add``): a global, a DoFn attribute or an
argument passed with it that holds one, or ``Metrics.counter(...)`` made in place. A
metric the code makes with ``process_wide=True`` (in place, or assigned in a method) goes to
the process's own container and is not reported; one made so elsewhere is not told apart.
(Proven on isolated workers in tests/test_accuracy_state.py.)
"""

from __future__ import annotations

import ast
import types
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors.emitted import outer_value
from beam_deps.check.detectors.function_source import (
    called_name,
    function_root,
    line_of,
    own_nodes,
    self_attribute,
)
from beam_deps.diagnostics import Diagnostic

_UPDATES = frozenset({"inc", "dec", "update", "set", "add"})
_MAKERS = frozenset({"counter", "distribution", "gauge", "string_set", "bounded_trie"})
_ANY_RECEIVER = frozenset({"submit", "apply_async", "run_in_executor"})
_POOL_METHODS = frozenset({"map", "imap", "imap_unordered", "starmap", "map_async"})
_STEP_METHODS = ("process", "start_bundle", "finish_bundle")


def _is_metric(value: Any) -> bool:
    """A Beam metric object. (Whether it was made ``process_wide`` is not readable from it:
    Beam's compiled updater keeps that private; such metrics are rare outside Beam.)"""
    from apache_beam.metrics.metricbase import Metric

    return isinstance(value, Metric)


def _makes_metric(expr: ast.AST) -> bool:
    """``Metrics.counter(...)``, ``beam.metrics.Metrics.distribution(...)``, without
    ``process_wide=True``."""
    if not (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)):
        return False
    owner = expr.func.value
    owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
    if expr.func.attr not in _MAKERS or owner_name != "Metrics":
        return False
    return not any(
        k.arg == "process_wide" and not (isinstance(k.value, ast.Constant) and not k.value.value)
        for k in expr.keywords
    )


def _class_assignments(cls: type) -> dict[str, list[ast.AST]]:
    """``self.NAME = value`` in the methods of ``cls`` (setup, start_bundle...)."""
    found: dict[str, list[ast.AST]] = {}
    for member in vars(cls).values():
        root = function_root(member) if isinstance(member, types.FunctionType) else None
        if root is None:
            continue
        for node in own_nodes(root):
            if not isinstance(node, ast.Assign):
                continue
            for target in node.targets:
                if (name := self_attribute(target)) is not None:
                    found.setdefault(name, []).append(node.value)
    return found


class _Step:
    """One user step: its DoFn (or None for a function) and what its methods assign."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.dofn = None if isinstance(target, types.FunctionType) else target
        self.assigned = _class_assignments(type(target)) if self.dofn is not None else {}

    def methods(self) -> list[types.FunctionType]:
        """The step's code that runs per element or bundle: the function, or the DoFn's
        process, start_bundle and finish_bundle."""
        if self.dofn is None:
            return [self.target]
        found = [getattr(type(self.target), name, None) for name in _STEP_METHODS]
        return [m for m in found if isinstance(m, types.FunctionType)]

    def attribute(self, name: str) -> list[Any]:
        """What ``self.NAME`` may hold: the DoFn's value now, and what its methods assign."""
        held = vars(self.dofn).get(name) if self.dofn is not None else None
        return [held, *self.assigned.get(name, [])]

    def is_pool(self, expr: ast.AST, local: dict[str, ast.AST]) -> bool:
        """``expr`` is a pool made from a class named ``*Executor``/``*Pool``."""
        made: list[Any] = []
        if isinstance(expr, ast.Name):
            made = [local.get(expr.id)]
        elif (attribute := self_attribute(expr)) is not None:
            made = self.attribute(attribute)
        for value in made:
            if isinstance(value, ast.Call):
                if (called_name(value) or "").endswith(("Executor", "Pool")):
                    return True
            elif type(value).__name__.endswith(("Executor", "Pool")):
                return True
        return False

    def holds_metric(self, expr: ast.AST, context: types.FunctionType) -> bool:
        """``expr``, read in ``context``, is a Beam metric."""
        if _makes_metric(expr):
            return True
        if isinstance(expr, ast.Name):
            return _is_metric(outer_value(context, expr.id))
        if (attribute := self_attribute(expr)) is not None:
            held = self.attribute(attribute)
            return any(_is_metric(v) or (isinstance(v, ast.AST) and _makes_metric(v)) for v in held)
        return False


def _local_values(root: ast.AST) -> dict[str, ast.AST]:
    """``name = value`` and ``with value as name`` in a method's own code."""
    found: dict[str, ast.AST] = {}
    for node in own_nodes(root):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            if isinstance(node.targets[0], ast.Name):
                found[node.targets[0].id] = node.value
        elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
            found[node.optional_vars.id] = node.context_expr
    return found


def _dispatched(
    call: ast.Call, step: _Step, local: dict[str, ast.AST]
) -> tuple[ast.AST, list[ast.AST]] | None:
    """(the function another thread runs, the arguments it gets) for a call that hands a
    function to a thread, else None."""
    func = call.func
    if isinstance(func, ast.Attribute) and call.args:
        if func.attr in _ANY_RECEIVER or (
            func.attr in _POOL_METHODS and step.is_pool(func.value, local)
        ):
            if func.attr == "run_in_executor":  # loop.run_in_executor(pool, f, *args)
                return (call.args[1], list(call.args[2:])) if len(call.args) > 1 else None
            args = list(call.args[1:])
            if func.attr == "apply_async" and args and isinstance(args[0], ast.Tuple):
                args = list(args[0].elts)
            return call.args[0], args
    if called_name(call) == "Thread":
        keywords = {k.arg: k.value for k in call.keywords}
        target = keywords.get("target")
        given = keywords.get("args")
        args = list(given.elts) if isinstance(given, ast.Tuple | ast.List) else []
        return (target, args) if target is not None else None
    return None


def _runs(
    expr: ast.AST, method: types.FunctionType, step: _Step
) -> tuple[str, types.FunctionType | None, ast.AST] | None:
    """(name, the function, its AST) of what a dispatch hands to the thread."""
    if isinstance(expr, ast.Lambda):
        return "the lambda", method, expr
    value: Any = None
    if isinstance(expr, ast.Name):
        value = outer_value(method, expr.id)
    elif (attribute := self_attribute(expr)) is not None and step.dofn is not None:
        value = getattr(type(step.dofn), attribute, None)
    if isinstance(value, types.FunctionType):
        root = function_root(value)
        if root is not None:
            return value.__qualname__, value, root
    return None


def _metric_update(
    root: ast.AST,
    function: types.FunctionType,
    passed: dict[str, ast.AST],
    method: types.FunctionType,
    step: _Step,
) -> str | None:
    """The source of the first Beam metric update in ``root``'s own code, else None.
    ``passed``: the parameters bound to the dispatch's arguments (read in ``method``)."""
    for node in own_nodes(root):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _UPDATES
        ):
            continue
        receiver = node.func.value
        if isinstance(receiver, ast.Name) and receiver.id in passed:
            metric = step.holds_metric(passed[receiver.id], method)
        else:
            metric = step.holds_metric(receiver, function)
        if metric:
            return ast.unparse(node)
    return None


def _parameters(root: ast.AST) -> list[str]:
    arguments = getattr(root, "args", None)
    if not isinstance(arguments, ast.arguments):
        return []
    names = [a.arg for a in arguments.posonlyargs + arguments.args]
    return names[1:] if names[:1] == ["self"] else names


def thread_metric_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD116 for each user step that hands a function updating a Beam metric to another
    thread."""
    out: list[Diagnostic] = []
    for node, target in shuffles.user_transforms(pipeline):
        try:
            found = _finding(node, target)
        except Exception:  # noqa: BLE001 - a hostile user object: no finding, no crash
            continue
        if found is not None:
            out.append(found)
    return out


def _finding(node: Any, target: Any) -> Diagnostic | None:
    step = _Step(target)
    for method in step.methods():
        root = function_root(method)
        if root is None:
            continue
        local = _local_values(root)
        for call in own_nodes(root):
            if not isinstance(call, ast.Call):
                continue
            dispatch = _dispatched(call, step, local)
            if dispatch is None:
                continue
            runs = _runs(dispatch[0], method, step)
            if runs is None:
                continue
            name, function, fn_root = runs
            passed = dict(zip(_parameters(fn_root), dispatch[1], strict=False))
            update = _metric_update(fn_root, function, passed, method, step)
            if update is None:
                continue
            where = shuffles.where(node)
            line = line_of(method, call)
            at = f" (line {line})" if line else ""
            return diagnostic(
                "BD116",
                f"{method.__qualname__} hands {name} to another thread{at}, and there it "
                f"updates a Beam metric ({update}): Beam counts a metric only on the thread "
                "that runs the bundle, so every update made on that thread is dropped "
                "silently and the job reports nothing for it (apache/beam#21217)",
                path=f"{where['transform']} > {method.__qualname__}",
                **where,
            )
    return None


__all__ = ["thread_metric_diagnostics"]
