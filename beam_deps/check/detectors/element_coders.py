"""What the element coder does to values crossing a shuffle (BD305, BD306).

Between fused steps elements are Python objects; at a shuffle (GroupByKey, and the
CombinePerKey and Reshuffle built on it) the worker *encodes* them with the coder Beam chose
from the PCollection's type, and that coder is not the pickler of ``--pickle_library``:

* BD305: a value of a type with no coder of its own goes through Beam's fallback coder, the
  standard ``pickle``, which refers to a function by name. A lambda or a ``def`` made inside
  the DoFn fails as "Can't pickle local object 'F.<locals>.g'", a function of the script as
  "attribute lookup g on __main__ failed" (the worker's ``__main__`` is Beam's).
* BD306: a declared type picks a coder that returns another type. A ``typing.NamedTuple``
  with ``RowCoder`` (a schema) brings a ``Tuple[...]`` field back as a ``list`` (unhashable:
  it no longer works as a dict key or in a set, and ``==`` a tuple is False); ``int`` picks
  ``VarIntCoder``, which truncates a float (``2.7`` arrives as ``2``). Reported only where
  the declared type says it and the code shows the value (a float expression for ``int``).

Both are decided from the DoFn that produces the elements: the first user transform upstream
of the shuffle, through Beam's own steps (Reshuffle's key-adding Map), never through another
user transform, which may reshape the element. (Proven on isolated workers in
tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

import ast
import types
import typing
from collections.abc import Iterator
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.diagnostics import Diagnostic


def _user_callable(node: Any) -> Any | None:
    """The user's function (Map/FlatMap/MapTuple/Filter) or DoFn of a ParDo node."""
    from apache_beam.transforms.core import ParDo

    from beam_deps.pipeline.payloads import unwrap_callable

    transform = getattr(node, "transform", None)
    if not isinstance(transform, ParDo):
        return None
    fn = transform.fn
    return unwrap_callable(fn._fn) if hasattr(fn, "_fn") else fn


def _is_beams(target: Any) -> bool:
    module = getattr(target, "__module__", None) or type(target).__module__ or ""
    return module.startswith("apache_beam.")


def _producers_into_shuffles(pipeline: Any) -> Iterator[tuple[Any, Any, Any, bool]]:
    """(producer node, GroupByKey node, the producer's user function or DoFn, wrapped):
    ``wrapped`` when Beam's own steps in between may have put the element inside another
    (Reshuffle pairs it with a random key), so the producer's keys are values there."""
    from beam_deps.check.detectors.identity import shuffles_of

    for gbk in shuffles_of(pipeline):
        producer = getattr(gbk.inputs[0], "producer", None) if gbk.inputs else None
        wrapped = False
        for _ in range(4):
            target = _user_callable(producer) if producer is not None else None
            if target is None:
                break
            if not _is_beams(target):
                yield producer, gbk, target, wrapped
                break
            wrapped = True
            producer = getattr(producer.inputs[0], "producer", None) if producer.inputs else None


def _emitting_functions(target: Any) -> list[types.FunctionType]:
    """The functions whose results are the elements: a callable itself, or a DoFn's
    ``process`` (defined in the user's code)."""
    if isinstance(target, types.FunctionType):
        return [target]
    process = getattr(type(target), "process", None)
    return [process] if isinstance(process, types.FunctionType) else []


def _where(node: Any) -> dict[str, Any]:
    file, line = getattr(node, "_beam_deps_location", (None, None))
    label = getattr(node, "_beam_deps_user_label", None) or node.full_label
    return {"transform": label, "file": file, "line": line}


def function_element_diagnostics(
    pipeline: Any, library: str, save_main_session: bool
) -> list[Diagnostic]:
    """BD305: functions emitted inside the element values that reach a shuffle."""
    from beam_deps.check.detectors.emitted import emitted_functions

    out: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    for producer, gbk, target, _ in _producers_into_shuffles(pipeline):
        for function in _emitting_functions(target):
            for what, name in emitted_functions(function) or ():
                if what == "script" and library.startswith("dill") and save_main_session:
                    continue  # dill's main session puts the script's functions in __main__
                where = _where(producer)
                if (where["transform"], name) in seen:
                    continue
                seen.add((where["transform"], name))
                if what == "local":
                    error = f"Can't pickle local object '{name}'"
                    kind = (
                        "a function made inside the transform's code"
                        if name.startswith(f"{function.__qualname__}.")
                        else f"a local function {name.split('.<locals>')[0]}() returns"
                    )
                else:
                    error = (
                        f"Can't pickle <function {name} at 0x...>: "
                        f"attribute lookup {name} on __main__ failed"
                    )
                    kind = "a function of your script"
                out.append(
                    diagnostic(
                        "BD305",
                        f"{name} ({kind}) is emitted inside the elements that reach the "
                        f"shuffle of {gbk.full_label!r}; elements are encoded with the standard "
                        f"pickle whatever --pickle_library says, and the worker will fail with "
                        f'"{error}"',
                        path=name,
                        **where,
                    )
                )
    return out


def _returns_elements(node: Any) -> bool:
    """Whether the user function's ``return`` value is the element (Map, MapTuple), rather
    than an iterable of elements (FlatMap, a DoFn's ``process``, whose ``yield``s are)."""
    fn = getattr(getattr(node, "transform", None), "fn", None)
    wrapper = getattr(fn, "_fn", None)
    qualname = getattr(wrapper, "__qualname__", "")
    return qualname.startswith(("Map.", "MapTuple."))


def _element_expressions(function: types.FunctionType, returns: bool) -> list[ast.AST]:
    from beam_deps.check.detectors.emitted import _function_root, _own_nodes

    root = _function_root(function)
    if root is None:
        return []
    if isinstance(root, ast.Lambda):
        return [root.body] if returns else []
    wanted = ast.Return if returns else ast.Yield
    return [n.value for n in _own_nodes(root) if isinstance(n, wanted) and n.value is not None]


_FLOAT_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Pow, ast.Mod)


def _always_float(expr: ast.AST) -> bool:
    """A float whatever the (int or float) inputs: a float literal, a true division,
    ``float(...)``, or arithmetic with one of those."""
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, float)
    if isinstance(expr, ast.BinOp):
        if isinstance(expr.op, ast.Div):
            return True
        return isinstance(expr.op, _FLOAT_OPS) and (
            _always_float(expr.left) or _always_float(expr.right)
        )
    if isinstance(expr, ast.UnaryOp):
        return _always_float(expr.operand)
    if isinstance(expr, ast.IfExp):
        return _always_float(expr.body) and _always_float(expr.orelse)
    return (
        isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "float"
    )


def _truncated(hint: Any, expr: ast.AST, where: str = "") -> tuple[str, ast.AST] | None:
    """(where, the float expression) where a float expression meets an ``int`` in the
    declared type (``"item [1]"`` for the second item of a pair), or None."""
    if hint is int:
        return (where or "the element", expr) if _always_float(expr) else None
    parts = getattr(hint, "tuple_types", None)
    if isinstance(parts, list | tuple) and isinstance(expr, ast.Tuple):
        if len(parts) == len(expr.elts):
            for i, (part, item) in enumerate(zip(parts, expr.elts, strict=True)):
                found = _truncated(part, item, f"{where or 'item '}[{i}]")
                if found:
                    return found
    return None


def _lifted(gbk: Any) -> bool:
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


def lossy_int_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD306: a float expression emitted under a declared ``int``, right before a shuffle
    that encodes the elements (not a lifted combine's)."""
    out: list[Diagnostic] = []
    for producer, gbk, target, wrapped in _producers_into_shuffles(pipeline):
        if wrapped or not isinstance(target, types.FunctionType) or _lifted(gbk):
            continue
        hint = getattr(gbk.inputs[0], "element_type", None)
        returns = _returns_elements(producer)
        for expr in _element_expressions(target, returns):
            found = _truncated(hint, expr)
            if found is None:
                continue
            part, value = found
            shown = ast.unparse(value)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            out.append(
                diagnostic(
                    "BD306",
                    f"{target.__qualname__} is declared to give {hint} but {part} is a float "
                    f"({shown}); the shuffle of {gbk.full_label!r} encodes it with "
                    "VarIntCoder, which truncates it silently (2.7 arrives as 2)",
                    path=f"{target.__qualname__} {part}",
                    **_where(producer),
                )
            )
            break
    return out


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
    from beam_deps.check.detectors.emitted import _function_root

    root = _function_root(function)
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


def _consumers(pipeline: Any) -> dict[int, list[Any]]:
    """id of each PCollection -> the transform nodes that read it."""
    from apache_beam.pipeline import PipelineVisitor

    found: dict[int, list[Any]] = {}

    class Visitor(PipelineVisitor):
        def visit_transform(self, node: Any) -> None:
            for pcoll in node.inputs:
                found.setdefault(id(pcoll), []).append(node)

    pipeline.visit(Visitor())
    return found


def _consumers_use(nodes: list[Any], field: str, consumers: dict[int, list[Any]]) -> str:
    """``_field_use`` over the user functions that read the shuffle's output, through
    Beam's own steps after it (a Reshuffle's): ``"keyed"`` if any keys on the field,
    ``"converted"`` if all convert it, else ``"unknown"``."""
    uses = []
    queue = [(node, 0) for node in nodes]
    while queue:
        node, depth = queue.pop(0)
        target = _user_callable(node)
        if target is not None and _is_beams(target) and depth < 4:
            after = [c for o in node.outputs.values() for c in consumers.get(id(o), [])]
            queue += [(c, depth + 1) for c in after]
            continue
        functions = _emitting_functions(target) if target is not None else []
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
    consumers = _consumers(pipeline)

    def report(node: Any, pcoll: Any, how: str, after: list[Any]) -> None:
        for cls in _schema_classes(getattr(pcoll, "element_type", None)):
            fields = _tuple_fields(cls)
            where = _where(node)
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
            if isinstance(node.transform, GroupByKey) and node.inputs and not _lifted(node):
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


def element_findings(pipeline: Any, library: str, save_main_session: bool) -> list[Diagnostic]:
    """Every finding of this module for one pipeline. Runs inside the script's ``run()``:
    the coders the script registered (``register_coder(X, RowCoder)``) are in Beam's
    registry only then."""
    return [
        *function_element_diagnostics(pipeline, library, save_main_session),
        *lossy_int_diagnostics(pipeline),
        *schema_tuple_diagnostics(pipeline),
    ]


__all__ = [
    "element_findings",
    "function_element_diagnostics",
    "lossy_int_diagnostics",
    "schema_tuple_diagnostics",
]
