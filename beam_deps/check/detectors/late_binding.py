"""Transforms built in a loop whose functions read the loop variable late (BD112).

``for col in cols: rows | beam.Map(lambda r: r[col])`` makes one lambda per column, but all of
them read ``col`` from the same cell of the enclosing frame, when they run: after the loop,
so every transform sees the last column. Nothing fails; the results are wrong everywhere.

Decided from the objects, not guessed from the text: the functions of two or more
transforms are made by the same code (``__code__``) and share the closure cell of a variable
(``cell is cell``), and that variable is the target of a ``for`` loop or comprehension that
encloses the function's definition in the script. A default argument (``col=col``) or
``functools.partial`` binds the value when the function is made: no shared cell, no finding.
The functions are those of the transforms' ParDos and those one of Beam's transforms holds
(``GroupBy(**{k: lambda x: x[k] for k in keys})``: every key function reads the last key).
"""

from __future__ import annotations

import ast
import reprlib
import types
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.diagnostics import Diagnostic

_LOOPS = (ast.For, ast.AsyncFor, ast.comprehension)


def _loop_targets(path: str, line: int, module_level: bool = False) -> dict[str, tuple[int, int]]:
    """{variable: (first, last line of the loop)} for the loops of the file at ``path``
    that enclose ``line`` (a comprehension's ``for`` counts: its element is made once per
    item);
    ``module_level``: only loops outside any function, whose variables are globals."""
    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return {}
    found: dict[str, tuple[int, int]] = {}
    for node in _module_level_nodes(tree) if module_level else ast.walk(tree):
        if isinstance(node, ast.For | ast.AsyncFor):
            span, target, where = node, node.target, node.lineno
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            span, where = node, node.lineno
            target = ast.Tuple(elts=[g.target for g in node.generators], ctx=ast.Store())
        else:
            continue
        end = getattr(span, "end_lineno", None) or where
        if not where <= line <= end:
            continue
        for name in ast.walk(target):
            if isinstance(name, ast.Name):
                found.setdefault(name.id, (where, end))
    return found


def _module_level_nodes(tree: ast.AST) -> list[ast.AST]:
    """The nodes of ``tree`` outside any function, class body or lambda."""
    out: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            if not isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
            ):
                stack.append(child)
    return out


def _users(target: Any) -> bool:
    return isinstance(target, types.FunctionType) and not (target.__module__ or "").startswith(
        "apache_beam."
    )


def _held(transform: Any) -> list[types.FunctionType]:
    """The user's functions one of Beam's transforms holds besides a ParDo's: the key
    functions of ``GroupBy(**keys)``, the fields of ``Select(**fields)`` (a list or dict of
    them, or of (name, function) pairs)."""
    if not type(transform).__module__.startswith("apache_beam."):
        return []
    found: list[types.FunctionType] = []
    for value in list(vars(transform).values()):
        items = list(value.values()) if isinstance(value, dict) else value
        if not isinstance(items, list | tuple):
            continue
        for item in items[:64]:
            for part in item if isinstance(item, tuple) else (item,):
                if _users(part):
                    found.append(part)
    return found


def _transform_functions(pipeline: Any) -> list[tuple[Any, types.FunctionType]]:
    from apache_beam.pipeline import PipelineVisitor
    from apache_beam.transforms.core import ParDo

    from beam_deps.pipeline.payloads import user_code

    found: list[tuple[Any, types.FunctionType]] = []

    class Visitor(PipelineVisitor):
        def enter_composite_transform(self, node: Any) -> None:
            if node.transform is not None:
                found.extend((node, f) for f in _held(node.transform))

        def visit_transform(self, node: Any) -> None:
            transform = node.transform
            if not isinstance(transform, ParDo):
                return
            target = user_code(transform.fn)  # a DoFn is no function: only callables
            if _users(target):
                found.append((node, target))

    pipeline.visit(Visitor())
    return found


def late_binding_diagnostics(
    pipeline: Any, globals_travel: bool = True, created: tuple[Any, Any] = (None, None)
) -> list[Diagnostic]:
    """BD112 for each transform whose function shares a loop variable's cell with others,
    or reads, as a global, the variable of a loop at the script's top level (a pipeline
    built under ``if __name__ == "__main__":``), where every copy reads the same global.
    ``globals_travel``: whether the worker has the script's globals (cloudpickle carries
    them; dill only with ``--save_main_session``, else a NameError, BD201). ``created``:
    (file, line) where the pipeline is made; a loop around it makes one pipeline per value,
    whose transforms all see that value (not a finding)."""
    by_cell: dict[tuple[int, int], list[tuple[Any, types.FunctionType, str]]] = {}
    cells: dict[tuple[int, int], Any] = {}
    functions = _transform_functions(pipeline)
    for node, function in functions:
        code = function.__code__
        for name, cell in zip(code.co_freevars, function.__closure__ or (), strict=False):
            key = (id(code), id(cell))
            cells[key] = cell
            by_cell.setdefault(key, []).append((node, function, name))
    out = _shared(by_cell, cells, False, created)
    if not globals_travel:
        return out
    by_global, values = _global_loop_reads(functions)
    return out + _shared(by_global, values, True, created)


class _Global:
    """A global read like a closure cell: ``cell_contents`` is its value now."""

    def __init__(self, namespace: dict[str, Any], name: str) -> None:
        self.namespace, self.name = namespace, name

    @property
    def cell_contents(self) -> Any:
        try:
            return self.namespace[self.name]
        except KeyError:
            raise ValueError(self.name) from None


def _global_loop_reads(
    functions: list[tuple[Any, types.FunctionType]],
) -> tuple[dict[Any, list[tuple[Any, types.FunctionType, str]]], dict[Any, Any]]:
    """The transforms' functions grouped by (code, global name) for every global their
    code reads: two made by the same code that read one global read one value."""
    from beam_deps.pickling.bytecode import global_reads

    by_global: dict[Any, list[tuple[Any, types.FunctionType, str]]] = {}
    values: dict[Any, Any] = {}
    for node, function in functions:
        code, namespace = function.__code__, function.__globals__
        for name in {n for n, _ in global_reads(code)}:
            if name in namespace:
                key = (id(code), name)
                values[key] = _Global(namespace, name)
                by_global.setdefault(key, []).append((node, function, name))
    return by_global, values


def _shared(
    by_cell: dict[Any, list[tuple[Any, types.FunctionType, str]]],
    cells: dict[Any, Any],
    module_level: bool,
    created: tuple[Any, Any] = (None, None),
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for key, users in by_cell.items():
        functions = {id(f) for _, f, _ in users}
        labels = []
        for node, _, _ in users:
            label = getattr(node, "_beam_deps_user_label", None) or node.full_label
            if label not in labels:
                labels.append(label)
        if len(functions) < 2:  # two functions the loop made: one transform's, or two
            continue
        _, function, name = users[0]
        code = function.__code__
        loops = _loop_targets(code.co_filename, code.co_firstlineno, module_level)
        if name not in loops:
            continue
        first, last = loops[name]
        if created[0] == code.co_filename and first <= (created[1] or 0) <= last:
            continue  # a pipeline per value: its transforms all see the value it ran with
        try:
            last_value = reprlib.repr(cells[key].cell_contents)
        except ValueError:
            continue
        except Exception:  # noqa: BLE001 - a value whose repr fails
            last_value = "(no repr)"
        shown = ", ".join(repr(x) for x in labels[:4]) + (", ..." if len(labels) > 4 else "")
        whom = f"the {len(labels)} transforms made in the loop ({shown})"
        if len(labels) == 1:
            whom = f"the {len(functions)} functions of {labels[0]!r}"
        what = "a lambda" if code.co_name == "<lambda>" else f"function {code.co_name}"
        kind = "global" if module_level else "free variable"
        for node, _, _ in users:
            file, line = getattr(node, "_beam_deps_location", (None, None))
            label = getattr(node, "_beam_deps_user_label", None) or node.full_label
            out.append(
                diagnostic(
                    "BD112",
                    f"{what} made in the loop at line {first} reads the loop variable "
                    f"{name!r} when it runs, not when it is made: {whom} all see its last "
                    f"value {last_value}",
                    transform=label,
                    path=f"{function.__qualname__} {kind} {name!r}",
                    file=file,
                    line=line,
                )
            )
    return out


def late_binding_findings(analyses: Any) -> list[Diagnostic]:
    """BD112 for every pipeline analysed at its ``run()``."""
    from beam_deps.check.detectors.main_session import save_main_session

    out: list[Diagnostic] = []
    for a in analyses:
        captured = a.captured
        travel = not captured.pickle_library.startswith("dill")
        out += late_binding_diagnostics(
            captured.pipeline,
            travel or save_main_session(captured.options),
            (captured.file, captured.line),
        )
    return out


__all__ = ["late_binding_diagnostics", "late_binding_findings"]
