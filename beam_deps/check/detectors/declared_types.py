"""What the coder a declared type picks does to the values the code emits (BD306, BD308).

Beam picks an element's coder from the PCollection's declared type (a return annotation,
``with_output_types``), and at a shuffle the worker encodes every element with it. Some
coders do not give back what they were given, or refuse it:

* BD306: the value comes back changed. ``int`` picks ``VarIntCoder``, which truncates a float
  (2.7 arrives as 2); ``bool`` picks ``BooleanCoder`` (None arrives as False); a
  ``typing.NamedTuple`` with ``RowCoder`` (a schema) brings a ``Tuple[...]`` field back as a
  ``list`` on Beam 2.77 and older (unhashable, and never ``==`` a tuple).
* BD308: the coder refuses the value and the job fails: None under ``int`` ("an integer is
  required"), bytes under ``str`` ("'bytes' object has no attribute 'encode'"), a str under
  ``bytes``, a Map that returns None (no ``return`` on some path) under a pair type.

Reported only where the declared type says it and the code shows the value: a literal, an
expression whose type is fixed (an f-string, ``s.encode()``, a true division), or the None a
Map's ``def`` returns when it ends without a ``return``. Each such value is put through
Beam's own coder here, so the outcome and the message are the worker's. A refused value
fails wherever it is emitted: besides encoding at a shuffle, the worker encodes every
transform's output to estimate its size (always the first elements of a bundle). A changed
value is changed only where it is decoded again: at a shuffle that encodes the producer's
elements (not a combine per key's, which is lifted before it: accumulators cross it).
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

import ast
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors import value_types
from beam_deps.check.detectors.function_source import function_root, line_of
from beam_deps.diagnostics import Diagnostic

_MAYBE_NONE = object()  # None only for some data: said as a warning


def _described(value: Any) -> str:
    if value is _MAYBE_NONE:
        return "None where the key is missing"
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "a bool"
    return {int: "an int", float: "a float", str: "a str", bytes: "bytes"}[type(value)]


def _table_items(expr: ast.AST, function: types.FunctionType | None) -> list[Any]:
    """The values an item ``T[k]`` of a table the function does not define (a global or
    closure dict, list or tuple: ``WEIGHTS[kind]``) can be, when all of them have one
    scalar type (float, int, str, bytes); else none. Why: the table travels with the
    function as it is now, so its values are what the code emits."""
    from beam_deps.check.detectors.emitted import outer_value, table_values

    if function is None or not isinstance(expr, ast.Subscript):
        return []
    if not isinstance(expr.value, ast.Name) or isinstance(expr.slice, ast.Slice):
        return []
    if expr.value.id in function.__code__.co_varnames:
        return []
    items = table_values(outer_value(function, expr.value.id))
    kinds = {type(v) for v in items[:1000]}
    if not items or len(items) > 1000 or len(kinds) != 1 or kinds - {float, int, str, bytes}:
        return []
    return items


def _clashes(
    coder: Any,
    expr: ast.AST,
    part: str = "",
    sometimes: bool = False,
    function: types.FunctionType | None = None,
) -> Iterator[tuple[str, ast.AST, Any, Any, tuple[str, str], bool]]:
    """(part of the element, expression, its sample value, the coder it meets, round-trip
    outcome, whether only some inputs take it) for each expression of ``expr`` the element's
    coder rejects or changes: a pair's items meet the tuple coder's components
    (``"item [1]"``), both branches of ``a if c else b`` count (each only sometimes), an
    item of a table of one scalar type counts by its values (``_table_items``)."""
    from apache_beam.coders.coders import TupleCoder

    if isinstance(expr, ast.IfExp):
        yield from _clashes(coder, expr.body, part, True, function)
        yield from _clashes(coder, expr.orelse, part, True, function)
        return
    components = getattr(coder, "_coders", None) if isinstance(coder, TupleCoder) else None
    if isinstance(expr, ast.Tuple) and components is not None:
        items = expr.elts
        if len(items) == len(components) and not any(isinstance(e, ast.Starred) for e in items):
            for i, (inner, item) in enumerate(zip(components, items, strict=True)):
                yield from _clashes(inner, item, f"{part or 'item '}[{i}]", sometimes, function)
        return
    value = value_types.sample(expr)
    if value is value_types.UNKNOWN:
        for item in _table_items(expr, function):
            outcome = value_types.round_trip(coder, item)
            if outcome is not None:  # the first value the coder refuses or changes
                yield part or "the element", expr, item, coder, outcome, sometimes
                return
    if value is value_types.UNKNOWN and value_types.maybe_none(expr):
        value = _MAYBE_NONE
    if value is value_types.UNKNOWN:
        return
    outcome = value_types.round_trip(coder, None if value is _MAYBE_NONE else value)
    if outcome is not None:
        yield part or "the element", expr, value, coder, outcome, sometimes


def declared_value_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD306 and BD308: a value the code emits meets the coder of its declared type.

    The worker encodes a transform's output with that coder at a shuffle, and estimates its
    size with it wherever it counts the output (every output, the first elements of each
    bundle always): a value the coder refuses (BD308: None under ``int``, bytes under
    ``str``) fails the job wherever it is emitted. A value it changes (BD306: a float
    truncated under ``int``, None read back as False under ``bool``) is changed only where
    it is encoded and decoded: right before a shuffle that encodes the elements (not a
    lifted combine's, whose accumulators cross it). Each value is put through Beam's own
    coder here, so the outcome and the message are the worker's."""
    from apache_beam.coders import typecoders

    into_shuffle = {
        id(producer): gbk
        for producer, gbk, _ in shuffles.producers_into_shuffles(pipeline)
        if not shuffles.lifted(gbk)
    }
    out: list[Diagnostic] = []
    for producer, target in shuffles.user_transforms(pipeline):
        outputs = list(producer.outputs.values())
        hint = getattr(outputs[0], "element_type", None) if len(outputs) == 1 else None
        try:
            coder = typecoders.registry.get_coder(hint)
        except Exception:  # noqa: BLE001 - no coder for the hint: Beam says so itself
            continue
        gbk = into_shuffle.get(id(producer))
        returns = shuffles.returns_elements(producer)
        seen: set[str] = set()
        for function in shuffles.emitting_functions(target):
            for expr, branch in shuffles.emitted_values(function, returns):
                for part, node, value, leaf, (outcome, detail), sometimes in _clashes(
                    coder, expr, sometimes=branch, function=function
                ):
                    if part in seen or (outcome == "changed" and gbk is None):
                        continue
                    if outcome == "rejected" and gbk is None:
                        # no shuffle encodes it: only the size estimate meets the value
                        detail = value_types.estimate_error(
                            leaf, None if value is _MAYBE_NONE else value
                        )
                        if detail is None:
                            continue
                    seen.add(part)
                    found = _Clash(
                        function, hint, part, node, value, leaf, outcome, detail, sometimes
                    )
                    out.append(found.diagnostic(producer, gbk))
    return out


def _shown(hint: Any) -> str:
    """``Tuple[str, int]`` for Beam's ``Tuple[<class 'str'>, <class 'int'>]``."""
    return re.sub(r"<class '(?:builtins\.)?([\w.]+)'>", r"\1", str(hint))


@dataclass(frozen=True)
class _Clash:
    """One value of ``function`` that the coder of its declared type refuses or changes."""

    function: types.FunctionType
    hint: Any
    part: str  # "the element", or "item [1]" of a pair
    node: ast.AST
    value: Any  # what the expression stands for in the round trip
    coder: Any  # the coder that part meets
    outcome: str  # "rejected" or "changed"
    detail: str  # the worker's error, or what arrives
    sometimes: bool = False  # on a branch only some inputs take

    def diagnostic(self, producer: Any, gbk: Any | None) -> Diagnostic:
        function = self.function
        name = "the lambda" if function.__name__ == "<lambda>" else function.__qualname__
        if isinstance(self.node, shuffles.NoValue):
            shown = "the None it returns where it ends without a value"
        else:
            shown = ast.unparse(self.node)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
        line = line_of(function, self.node)
        at = f", line {line}" if line else ""
        said = (
            f"{name} is declared to give {_shown(self.hint)} but {self.part} is "
            f"{_described(self.value)} ({shown}{at}); "
        )
        if gbk is not None:
            said += f"the shuffle of {gbk.full_label!r} encodes it with {self.coder}"
        else:
            said += (
                f"Beam encodes the output with {self.coder} to estimate its size (always for "
                "the first elements of a bundle)"
            )
        path = f"{function.__qualname__} {self.part}"
        # None only for some data (``row.get(key)``): a warning, "when it is"
        maybe = self.value is _MAYBE_NONE
        severity = "warning" if maybe or self.sometimes else "error"
        when = (
            " when it is" if maybe else " when an input takes that path" if self.sometimes else ""
        )
        if self.outcome == "changed":
            message = f"{said}, which changes it silently ({self.detail}){when}"
            code = "BD306"
        else:
            message = f'{said}, and the worker will fail with "{self.detail}"{when}'
            code = "BD308"
        return diagnostic(code, message, severity=severity, path=path, **shuffles.where(producer))


def _tuple_fields(cls: type) -> list[tuple[str, Any]]:
    hints = getattr(cls, "__annotations__", {}) or {}
    out = []
    for name, hint in hints.items():
        origin = typing.get_origin(hint) or hint
        if origin is tuple:
            out.append((name, hint))
    return out


def _schema_classes(hint: Any, depth: int = 0) -> list[type]:
    """NamedTuple classes encoded as schema rows (RowCoder registered) inside ``hint``."""
    if depth > 6 or hint is None:
        return []
    if isinstance(hint, type):
        if issubclass(hint, tuple) and hasattr(hint, "_fields") and _row_coded(hint):
            return [hint]
        return []
    out: list[type] = []
    for attr in ("tuple_types", "union_types", "inner_type", "key_type", "value_type"):
        inner = getattr(hint, attr, None)
        if inner is None:
            continue
        for part in inner if isinstance(inner, list | tuple | set | frozenset) else (inner,):
            out.extend(_schema_classes(part, depth + 1))
    return out


def _row_coded(cls: type) -> bool:
    from apache_beam.coders import typecoders
    from apache_beam.coders.row_coder import RowCoder

    try:
        return isinstance(typecoders.registry.get_coder(cls), RowCoder)
    except Exception:  # noqa: BLE001 - a broken registration is Beam's error to report
        return False


# How a consumer may read a field RowCoder turned into a list (``_field_use``).
_CONVERTERS = frozenset(
    {"tuple", "list", "sorted", "len", "set", "frozenset", "sum", "min", "max", "any", "all"}
)
_KEYED_METHODS = frozenset({"add", "get", "setdefault", "pop", "discard"})


def _field_use(function: types.FunctionType, field: str) -> str:
    """How ``function``'s code reads ``.field``: ``"keyed"`` when one read is hashed or
    compared as a tuple (a set member, a dict key, looked up ``in`` a container, ``==`` a
    tuple: fails or is silently False with a list), ``"converted"`` when every read is
    converted or iterated (``tuple(row.span)``, ``for x in row.span``, ``row.span[0]``: a
    list does the same), else ``"unknown"`` (no read seen, the source unreadable, or used
    otherwise, e.g. formatted)."""
    root = function_root(function)
    if root is None:
        return "unknown"
    parents = {child: parent for parent in ast.walk(root) for child in ast.iter_child_nodes(parent)}
    reads = [
        n
        for n in ast.walk(root)
        if isinstance(n, ast.Attribute) and n.attr == field and isinstance(n.ctx, ast.Load)
    ]
    if not reads:
        return "unknown"
    verdict = "converted"
    for read in reads:
        node, parent = read, parents.get(read)
        if _converted(node, parent):
            continue
        while isinstance(parent, ast.Tuple):  # (row.span, x): a key made of it
            node, parent = parent, parents.get(parent)
        if _keyed(node, parent):
            return "keyed"
        verdict = "unknown"
    return verdict


def _converted(node: ast.AST, parent: ast.AST | None) -> bool:
    if isinstance(parent, ast.Call) and node in parent.args:
        return isinstance(parent.func, ast.Name) and parent.func.id in _CONVERTERS
    if isinstance(parent, ast.comprehension | ast.For):
        return parent.iter is node
    return isinstance(parent, ast.Subscript) and parent.value is node


def _keyed(node: ast.AST, parent: ast.AST | None) -> bool:
    if isinstance(parent, ast.Compare):
        # only where a list and a tuple differ: looked up ``in`` a container (hashed, or
        # never equal to its tuples), or ``==`` a tuple written in the code; not ``is``,
        # ``<``, ``x in row.span``, nor two such fields compared with each other
        op, other = parent.ops[0], parent.comparators[0]
        if parent.left is node and isinstance(op, ast.In | ast.NotIn):
            return True
        if isinstance(op, ast.Eq | ast.NotEq):
            sides = (parent.left, other)
            return node in sides and any(isinstance(x, ast.Tuple) for x in sides if x is not node)
        return False
    if isinstance(parent, ast.Set | ast.SetComp):
        return True
    if isinstance(parent, ast.Dict):
        return node in parent.keys
    if isinstance(parent, ast.DictComp):
        return parent.key is node
    if isinstance(parent, ast.Subscript):
        return parent.slice is node
    if isinstance(parent, ast.Call) and node in parent.args:
        func = parent.func
        if isinstance(func, ast.Name):
            return func.id == "hash"
        return isinstance(func, ast.Attribute) and func.attr in _KEYED_METHODS
    return False


def _consumers_use(nodes: list[Any], field: str, consumers: dict[int, list[Any]]) -> str:
    """``_field_use`` over the user functions that read the shuffle's output, through
    Beam's own steps after it (a Reshuffle's): ``"keyed"`` if any keys on the field,
    ``"converted"`` if all convert it, else ``"unknown"``."""
    uses = []
    queue = [(node, 0) for node in nodes]
    while queue:
        node, depth = queue.pop(0)
        target = shuffles.user_callable(node)
        if target is not None and shuffles.is_beams(target) and depth < 4:
            after = [c for o in node.outputs.values() for c in consumers.get(id(o), [])]
            queue += [(c, depth + 1) for c in after]
            continue
        functions = shuffles.emitting_functions(target) if target is not None else []
        uses += [_field_use(f, field) for f in functions] or ["unknown"]
    if "keyed" in uses:
        return "keyed"
    return "converted" if uses and all(u == "converted" for u in uses) else "unknown"


def schema_tuple_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD306: a schema row with a ``Tuple`` field crosses a shuffle (proven there; Create's
    encoding is not claimed). An error where the code after the shuffle keys on the field
    (the set member of the failing example), nothing where it converts every read (the
    fix), a warning where it cannot be told."""
    from apache_beam.pipeline import PipelineVisitor
    from apache_beam.transforms.core import GroupByKey

    from beam_deps.beam import profile

    if not profile().row_tuples_as_lists:
        return []  # Beam 2.78+: RowCoder gives the tuple back
    out: list[Diagnostic] = []
    seen: set[tuple[str, type]] = set()
    consumers = shuffles.consumers(pipeline)

    def report(node: Any, pcoll: Any, how: str, after: list[Any]) -> None:
        for cls in _schema_classes(getattr(pcoll, "element_type", None)):
            fields = _tuple_fields(cls)
            where = shuffles.where(node)
            if not fields or (where["transform"], cls) in seen:
                continue
            seen.add((where["transform"], cls))
            name, hint = fields[0]
            use = _consumers_use(after, name, consumers)
            if use == "converted":
                continue
            out.append(
                diagnostic(
                    "BD306",
                    f"{cls.__qualname__} is encoded as a schema row (RowCoder) {how}, and "
                    f"RowCoder gives its field {name!r} ({hint}) back as a list: unhashable "
                    '(a dict key or set member fails with "TypeError: unhashable type: '
                    "'list'\") and never equal to a tuple"
                    + (", as the code after it uses it" if use == "keyed" else ""),
                    severity="error" if use == "keyed" else "warning",
                    path=f"{cls.__qualname__}.{name}",
                    **where,
                )
            )

    class Visitor(PipelineVisitor):
        def visit_transform(self, node: Any) -> None:
            if isinstance(node.transform, GroupByKey) and node.inputs and not shuffles.lifted(node):
                pcoll = node.inputs[0]
                producer = getattr(pcoll, "producer", None)
                user = producer if producer is not None else node
                how = f"at the shuffle of {node.full_label!r}"
                after = [c for o in node.outputs.values() for c in consumers.get(id(o), [])]
                report(user, pcoll, how, after)

        def enter_composite_transform(self, node: Any) -> None:
            self.visit_transform(node)

    pipeline.visit(Visitor())
    return out


def declared_type_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """Every finding of this module for one pipeline. Runs inside the script's ``run()``:
    the coders the script registered (``register_coder(X, RowCoder)``) are in Beam's
    registry only then."""
    return [*declared_value_diagnostics(pipeline), *schema_tuple_diagnostics(pipeline)]


__all__ = ["declared_type_diagnostics", "declared_value_diagnostics", "schema_tuple_diagnostics"]
