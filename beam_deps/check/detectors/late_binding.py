"""Transforms built in a loop whose functions read the loop variable late (BD112).

``for col in cols: rows | beam.Map(lambda r: r[col])`` makes one lambda per column, but all of
them read ``col`` from the same cell of the enclosing frame, when they run: after the loop,
so every transform sees the last column. Nothing fails; the results are wrong everywhere.

Decided from the objects, not guessed from the text: the functions of two or more
transforms are made by the same code (``__code__``) and share the closure cell of a variable
(``cell is cell``), and that variable is the target of a ``for`` loop or comprehension that
encloses the function's definition in the script. A default argument (``col=col``) or
``functools.partial`` binds the value when the function is made: no shared cell, no finding.
"""

from __future__ import annotations

import ast
import reprlib
import types
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.diagnostics import Diagnostic

_LOOPS = (ast.For, ast.AsyncFor, ast.comprehension)


def _loop_targets(path: str, line: int) -> dict[str, int]:
    """{variable: line of the loop} for the loops of the file at ``path`` that enclose
    ``line`` (a comprehension's ``for`` counts: its element is made once per item)."""
    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return {}
    found: dict[str, int] = {}
    for node in ast.walk(tree):
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
                found.setdefault(name.id, where)
    return found


def _transform_functions(pipeline: Any) -> list[tuple[Any, types.FunctionType]]:
    from apache_beam.pipeline import PipelineVisitor
    from apache_beam.transforms.core import ParDo

    from beam_deps.pipeline.payloads import user_code

    found: list[tuple[Any, types.FunctionType]] = []

    class Visitor(PipelineVisitor):
        def visit_transform(self, node: Any) -> None:
            transform = node.transform
            if not isinstance(transform, ParDo):
                return
            target = user_code(transform.fn)  # a DoFn is no function: only callables
            if isinstance(target, types.FunctionType) and target.__closure__:
                if not (target.__module__ or "").startswith("apache_beam."):
                    found.append((node, target))

    pipeline.visit(Visitor())
    return found


def late_binding_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD112 for each transform whose function shares a loop variable's cell with others."""
    by_cell: dict[tuple[int, int], list[tuple[Any, types.FunctionType, str]]] = {}
    cells: dict[tuple[int, int], Any] = {}
    for node, function in _transform_functions(pipeline):
        code = function.__code__
        for name, cell in zip(code.co_freevars, function.__closure__ or (), strict=False):
            key = (id(code), id(cell))
            cells[key] = cell
            by_cell.setdefault(key, []).append((node, function, name))
    out: list[Diagnostic] = []
    for key, users in by_cell.items():
        functions = {id(f) for _, f, _ in users}
        labels = []
        for node, _, _ in users:
            label = getattr(node, "_beam_deps_user_label", None) or node.full_label
            if label not in labels:
                labels.append(label)
        if len(functions) < 2 or len(labels) < 2:
            continue
        _, function, name = users[0]
        code = function.__code__
        loops = _loop_targets(code.co_filename, code.co_firstlineno)
        if name not in loops:
            continue
        try:
            last = reprlib.repr(cells[key].cell_contents)
        except ValueError:
            continue
        shown = ", ".join(repr(x) for x in labels[:4]) + (", ..." if len(labels) > 4 else "")
        what = "a lambda" if code.co_name == "<lambda>" else f"function {code.co_name}"
        for node, _, _ in users:
            file, line = getattr(node, "_beam_deps_location", (None, None))
            label = getattr(node, "_beam_deps_user_label", None) or node.full_label
            out.append(
                diagnostic(
                    "BD112",
                    f"{what} made in the loop at line {loops[name]} reads the loop variable "
                    f"{name!r} when it runs, not when it is made: the {len(labels)} transforms "
                    f"made in the loop ({shown}) all see its last value {last}",
                    transform=label,
                    path=f"{function.__qualname__} free variable {name!r}",
                    file=file,
                    line=line,
                )
            )
    return out


def late_binding_findings(analyses: Any) -> list[Diagnostic]:
    """BD112 for every pipeline analysed at its ``run()``."""
    return [d for a in analyses for d in late_binding_diagnostics(a.captured.pipeline)]


__all__ = ["late_binding_diagnostics", "late_binding_findings"]
