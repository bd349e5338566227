"""A state cell whose coder cannot encode what the DoFn writes to it (BD322).

``ReadModifyWriteStateSpec("last", VarIntCoder())`` declares how the worker stores the cell:
every ``last.write(v)`` (or ``bag.add(v)`` of a ``BagStateSpec``, a ``SetStateSpec``) encodes
``v`` with that coder when the state is written. A spec copied from an example that counts
(``VarIntCoder``) and then given the element's text fails on the worker, at the first write:
"TypeError: an integer is required". Nothing checks it while the pipeline is built.

Decided from values, not from names: the value written must be one whose type the code fixes
(a literal, an f-string, ``str(x)``: ``value_types.sample``), or the element or a field of
it (``k, v = element``, ``element[1]``) where the step's input is a ``Create`` (its values are
right there). Each such value goes through the spec's own coder; one that fails is the
finding. A write on a branch (an ``if``, a loop) is reported only when every value fails,
since the data decides which elements reach it (so is a write after an early ``return``).
A combining state's ``add`` goes through its CombineFn, not the coder, and is not read here.
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

import ast
import types
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors.function_source import (
    bindings,
    element_parameter,
    function_root,
    line_of,
    on_a_branch,
    own_nodes,
)
from beam_deps.check.detectors.side_inputs import created_values
from beam_deps.check.detectors.value_types import UNKNOWN, sample
from beam_deps.check.detectors.worker_code import is_user_function
from beam_deps.diagnostics import Diagnostic

_WRITES = {"ReadModifyWriteStateSpec": "write", "BagStateSpec": "add", "SetStateSpec": "add"}


def _cells(process: types.FunctionType) -> dict[str, Any]:
    """``{parameter: spec}`` for each ``DoFn.StateParam(SPEC)`` default of ``process`` whose
    spec stores values with its own coder."""
    code = process.__code__
    names = code.co_varnames[: code.co_argcount]
    defaults = process.__defaults__ or ()
    out: dict[str, Any] = {}
    for name, default in zip(names[len(names) - len(defaults) :], defaults):
        spec = getattr(default, "state_spec", None)
        if type(spec).__name__ in _WRITES and getattr(spec, "coder", None) is not None:
            out[name] = spec
    return out


def _bound_once(root: ast.AST, name: str) -> ast.AST | None:
    """The one statement that binds ``name`` in the function, or None (bound several times,
    or by a loop, a with, an except: its value is not one thing)."""
    binders = bindings(root, name)
    if len(binders) != 1:
        return None
    for node in own_nodes(root):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            if any(n is binders[0] for n in ast.walk(node.targets[0])):
                return node
    return None


def _field(values: list[Any], index: int, size: int | None = None) -> list[Any] | None:
    """Field ``index`` of every value (None unless each has it, and ``size`` fields when
    given: an unpacking of a value of another size fails before the write)."""
    out: list[Any] = []
    for value in values:
        try:
            if size is not None and len(value) != size:
                return None
            out.append(value[index])
        except (TypeError, IndexError, KeyError):
            return None
    return out


def _samples(expr: ast.AST, root: ast.AST, element: str | None, values: list | None) -> Any:
    """The values ``expr`` may take, or None when the code and the input do not say."""
    fixed = sample(expr)
    if fixed is not UNKNOWN:
        return [fixed]
    if values is None or element is None:
        return None
    if isinstance(expr, ast.Name) and expr.id == element:
        return None if bindings(root, element) else list(values)
    if (
        isinstance(expr, ast.Subscript)
        and isinstance(expr.value, ast.Name)
        and expr.value.id == element
        and isinstance(expr.slice, ast.Constant)
        and isinstance(expr.slice.value, int)
    ):
        return _field(values, expr.slice.value)
    if isinstance(expr, ast.Name):
        binding = _bound_once(root, expr.id)
        if not isinstance(binding, ast.Assign) or not isinstance(binding.value, ast.Name):
            return None
        target = binding.targets[0]
        if binding.value.id != element or not isinstance(target, ast.Tuple | ast.List):
            return None
        names = [t.id if isinstance(t, ast.Name) else None for t in target.elts]
        if expr.id not in names:
            return None
        return _field(values, names.index(expr.id), len(names))
    return None


def _exits_before(root: ast.AST, call: ast.AST, parents: dict) -> bool:
    """Whether the function may leave before ``call`` for some elements: a ``return``,
    ``raise`` or ``continue`` on a branch above it (``if value is None: return``)."""
    exits = (ast.Return, ast.Raise, ast.Continue)
    return any(
        isinstance(node, exits) and node.lineno < call.lineno and on_a_branch(node, parents, root)
        for node in own_nodes(root)
    )


def _encode_error(coder: Any, value: Any) -> str | None:
    try:
        coder.encode(value)
    except Exception as error:  # noqa: BLE001 - whatever the worker's coder raises
        return f"{type(error).__name__}: {error}"
    return None


def _finding(node: Any, process: Any, call: ast.Call, spec: Any, value: Any, error: str):
    name = process.__qualname__
    coder = type(spec.coder).__name__
    shown = ast.unparse(call.args[0])
    line = line_of(process, call)
    location = shuffles.where(node)  # the step's line; the write's where it has none
    if location["line"] is None:
        location.update(file=process.__code__.co_filename, line=line)
    return diagnostic(
        "BD322",
        f"{name} {call.func.attr}s {shown} (line {line}, e.g. {value!r}) to the state "
        f"{spec.name!r}, whose coder {coder} cannot encode it ({error}): the worker fails "
        "when it writes the state",
        path=f"{location['transform']} > {name} {spec.name}",
        **location,
    )


def state_coder_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD322 for each write of a stateful DoFn's ``process`` that its cell's coder surely
    cannot encode."""
    from apache_beam.transforms.core import ParDo

    out: list[Diagnostic] = []
    for node in shuffles.nodes_of(pipeline, ParDo):
        process = getattr(type(node.transform.fn), "process", None)
        if not is_user_function(process):
            continue
        cells = _cells(process)
        root = function_root(process) if cells else None
        if root is None:
            continue
        values = created_values(node.inputs[0]) if len(node.inputs) == 1 else None
        element = element_parameter(process)
        parents = {c: p for p in ast.walk(root) for c in ast.iter_child_nodes(p)}
        for call in own_nodes(root):
            if not (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id in cells
                and len(call.args) == 1
                and not call.keywords
            ):
                continue
            spec = cells[call.func.value.id]
            if call.func.attr != _WRITES[type(spec).__name__]:
                continue
            samples = _samples(call.args[0], root, element, values)
            if not samples:
                continue
            failures = [(v, e) for v in samples if (e := _encode_error(spec.coder, v))]
            some = on_a_branch(call, parents, root) or _exits_before(root, call, parents)
            if not failures or (len(failures) < len(samples) and some):
                continue
            value, error = failures[0]
            out.append(_finding(node, process, call, spec, value, error))
    return out


__all__ = ["state_coder_diagnostics"]
