"""A step's function gives one value where Beam iterates, or a generator where Beam takes
one value (BD314); a generator step's ``return`` value, which Beam never reads (BD331).

A DoFn's ``process`` and a ``FlatMap``'s function give an *iterable* of elements: Beam loops
over what they return. ``return {"name": n}`` instead of ``yield`` is the classic slip, and
what follows depends on the value and on Beam:

* a ``dict``, a ``str`` or ``bytes``: Beam 2.76 and newer refuse it on the first element
  ("TypeError: Returning a dict from a ParDo or FlatMap is not allowed"); older Beams loop
  over it, silently: a dict's keys, a string's characters, the bytes' integers become the
  elements;
* a number or a bool: "TypeError: 'int' object is not iterable", on every Beam.

``beam.Map`` is the other way round: it emits what its function returns, so a function that
``yield``s emits one generator object per input, which a later step cannot read as the
element it meant (and the coder refuses: "cannot pickle 'generator' object").

Decided from the function itself, nothing guessed: the returned expression's type must be
fixed by the code (a dict display or comprehension, ``dict(...)``, what
``value_types.sample`` says is text, bytes or a number); a ``process`` that also ``yield``s is
a generator and its ``return`` value is never read. A return on one branch of several is a
warning: whether an input takes it depends on the data.

A ``process`` (or a FlatMap's function) that ``yield``s anywhere is a generator function:
``return [a, b]`` in it does not emit ``a`` and ``b``, Python hands the list to
``StopIteration`` and Beam, which only iterates, drops it (apache/beam#22969; Beam logs one
line at construction, "Using yield and return in the process method ... can lead to
unexpected behavior"). The elements are lost silently, on every runner and pickler. Only a
value that is surely nothing is let through: ``return None``, an empty display, a logging
call's result.
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

import ast
import inspect
import types
from typing import Any

from beam_deps.beam import profile
from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors import value_types
from beam_deps.check.detectors.function_source import (
    assigned_values,
    bindings,
    called_name,
    element_parameter,
    function_root,
    line_of,
    own_nodes,
    parameters,
)
from beam_deps.diagnostics import Diagnostic
from beam_deps.pipeline.payloads import wrapper_kind

_REFUSED = (str, bytes, dict)  # what Beam 2.76+ refuses by name; older Beams iterate them
_AS_ELEMENTS = {str: "its characters", bytes: "its byte values", dict: "its keys"}


def _iterated_function(node: Any, target: Any) -> types.FunctionType | None:
    """The user function whose return value Beam iterates in this step: a DoFn's
    ``process``, a ``FlatMap``/``FlatMapTuple``'s function; None for Map, Filter and the
    rest."""
    if isinstance(target, types.FunctionType):
        fn = getattr(getattr(node, "transform", None), "fn", None)
        return target if wrapper_kind(fn) in ("FlatMap", "FlatMapTuple") else None
    process = getattr(type(target), "process", None)
    return process if isinstance(process, types.FunctionType) else None


# Methods only str and bytes have (a line's ``strip().lower()``): either way Beam refuses the
# result (2.76+) or iterates its characters or byte values, so which of the two it is does not
# matter here, unlike for a coder (value_types leaves them UNKNOWN).
_TEXT_METHODS = frozenset(
    {"strip", "lstrip", "rstrip", "lower", "upper", "casefold", "swapcase", "zfill"}
    | {"removeprefix", "removesuffix", "capitalize"}
)


_STR_METHODS = frozenset(name for name in dir(str) if not name.startswith("_"))


def _text_method(expr: ast.AST, element: str | None) -> bool:
    """``line.strip().lower()``, ``line.split(",")[0].upper()``: a str (or bytes) method
    called on the element itself, through str methods and items only. Another receiver
    may be an object with its own ``lower()`` (a user class's, ``np.char``, pandas'
    ``.str``)."""
    if element is None or not (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)):
        return False
    if expr.func.attr not in _TEXT_METHODS:
        return False
    node = expr.func.value
    while True:
        if isinstance(node, ast.Name):
            return node.id == element
        if isinstance(node, ast.Subscript):
            node = node.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _STR_METHODS
        ):
            node = node.func.value
        else:
            return False


def _returned_type(expr: ast.AST, element: str | None = None) -> type | None:
    """The type a returned expression surely has, among those Beam cannot iterate as
    elements (or iterates wrongly), else None. ``element``: the function's element
    parameter, when the function never rebinds it."""
    if isinstance(expr, ast.Dict | ast.DictComp):
        return dict
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "dict":
        return dict
    if _text_method(expr, element):
        return str
    value = value_types.sample(expr)
    if value is value_types.UNKNOWN or value is None:
        return None
    if value == value_types.TEXT or isinstance(value, str):
        return str
    if value == value_types.DATA or isinstance(value, bytes):
        return bytes
    return type(value) if isinstance(value, int | float) else None


def _variable_type(expr: ast.AST, root: ast.AST) -> type | None:
    """The type of a returned variable that every binding of the function sets to a value
    of that type (``row = dict(zip(columns, values)); row["n"] = int(row["n"]); return
    row``, apache/beam#18712): a dict stays a dict when its items change. None for a
    variable also bound otherwise (a loop, an unpacking, ``+=``) or a parameter."""
    if not isinstance(expr, ast.Name):
        return None
    stores = bindings(root, expr.id)
    values = assigned_values(root, expr.id)
    if not values or len(values) != len(stores) or expr.id in parameters(root):
        return None
    kinds = {_returned_type(v) for v in values}
    return kinds.pop() if len(kinds) == 1 else None


def returns_dicts(function: Any) -> bool:
    """Every value a Map's function returns is surely a dict (a display, a comprehension,
    ``dict(...)``), on every path (side_inputs asks, for an AsDict of rows)."""
    if not isinstance(function, types.FunctionType):
        return False
    emitted = shuffles.emitted_values(function, returns=True)
    return bool(emitted) and all(
        not sometimes and _returned_type(expr) is dict for expr, sometimes in emitted
    )


def _element_parameter(function: types.FunctionType, root: ast.AST) -> str | None:
    """The parameter the element arrives in (after ``self``), if the function never
    rebinds it."""
    element = element_parameter(function)
    return None if element is None or bindings(root, element) else element


def _single_returns(function: types.FunctionType) -> list[tuple[ast.Return, type, bool]]:
    """(return statement, the type it surely returns, only sometimes) for each return of a
    value Beam cannot iterate as elements; none for a generator (its return is not read)."""
    if function.__code__.co_flags & (inspect.CO_GENERATOR | inspect.CO_ASYNC_GENERATOR):
        return []
    root = function_root(function)
    if root is None:
        return []
    element = _element_parameter(function, root)
    if isinstance(root, ast.Lambda):
        kind = _returned_type(root.body, element)
        return [(ast.Return(value=root.body), kind, False)] if kind else []
    returns = [n for n in own_nodes(root) if isinstance(n, ast.Return) and n.value is not None]
    found = [
        (r, _returned_type(r.value, element) or _variable_type(r.value, root)) for r in returns
    ]
    sure = [(r, kind) for r, kind in found if kind is not None]
    sometimes = len(sure) < len(returns)  # another return gives a value that may be fine
    return [(r, kind, sometimes) for r, kind in sure]


def _article(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def _iteration_finding(
    node: Any,
    function: types.FunctionType,
    ret: ast.Return,
    kind: type,
    sometimes: bool,
    refuses: bool,
) -> Diagnostic:
    where = shuffles.where(node)
    name = "the lambda" if function.__name__ == "<lambda>" else function.__qualname__
    line = line_of(function, ret.value)
    at = f" (line {line})" if line else ""
    if kind in _REFUSED and refuses:
        outcome = (
            f'the worker fails on the first element with "TypeError: Returning a '
            f"{kind.__name__} from a ParDo or FlatMap is not allowed. Please use list(...) if "
            'you really want this behavior."'
        )
    elif kind in _REFUSED:
        outcome = (
            f"this Beam iterates it: {_AS_ELEMENTS[kind]} become the elements, silently "
            "(Beam 2.76 and newer refuse it)"
        )
    else:
        outcome = f"the worker fails with \"TypeError: '{kind.__name__}' object is not iterable\""
    message = (
        f"{name} returns {_article(kind.__name__)}{at}, but Beam iterates what "
        f"{'process' if function.__name__ == 'process' else 'a FlatMap function'} returns "
        f"and emits each item as an element: {outcome}"
    )
    if sometimes:
        message += " when an input takes that path"
    return diagnostic(
        "BD314",
        message,
        severity="warning" if sometimes else "error",
        path=f"{where['transform']} > {name}",
        **where,
    )


_LOGGING_CALLS = frozenset(
    {"print", "debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
)


def _surely_nothing(expr: ast.AST) -> bool:
    """``None``, ``[]``, ``()``, ``{}``, ``""``, ``set()``, ``iter([])``, ``print(...)``,
    ``log.warning(...)``:
    a returned value whose loss loses no element."""
    if isinstance(expr, ast.Constant):
        return expr.value is None or expr.value in ("", b"")
    if isinstance(expr, ast.List | ast.Tuple | ast.Set | ast.Dict):
        return not (expr.keys if isinstance(expr, ast.Dict) else expr.elts)
    if isinstance(expr, ast.Call):
        name = called_name(expr)
        if name in ("list", "tuple", "set", "dict", "iter") and not expr.keywords:
            return not expr.args or (len(expr.args) == 1 and _surely_nothing(expr.args[0]))
        return name in _LOGGING_CALLS
    return False


def _dropped_returns(function: types.FunctionType) -> list[tuple[ast.Return, ast.AST]]:
    """(return of a value, the first yield) for each ``return X`` of a generator function
    whose X may hold elements: Beam never reads it."""
    if not function.__code__.co_flags & inspect.CO_GENERATOR:
        return []
    root = function_root(function)
    if root is None or isinstance(root, ast.Lambda):
        return []
    nodes = list(own_nodes(root))
    yields = [n for n in nodes if isinstance(n, ast.Yield | ast.YieldFrom)]
    if not yields:
        return []
    first = min(yields, key=lambda n: (n.lineno, n.col_offset))
    returns = [
        n
        for n in nodes
        if isinstance(n, ast.Return) and n.value is not None and not _surely_nothing(n.value)
    ]
    return [(r, first) for r in sorted(returns, key=lambda n: n.lineno)]


def _dropped_finding(
    node: Any, function: types.FunctionType, ret: ast.Return, first: ast.AST
) -> Diagnostic:
    where = shuffles.where(node)
    name = function.__qualname__
    line, yielded = line_of(function, ret.value), line_of(function, first)
    at = f" at line {line}" if line else ""
    since = f" (line {yielded})" if yielded else ""
    kind = "process" if function.__name__ == "process" else "the FlatMap function"
    return diagnostic(
        "BD331",
        f"{name} yields{since}, so it is a generator: the value it returns{at} never "
        f"reaches the output (Python puts it in StopIteration and Beam only iterates what "
        f"{kind} yields), so the elements it holds are dropped silently, for every input "
        "that takes that return",
        path=f"{where['transform']} > {name}",
        **where,
    )


def _generator_map(node: Any, target: Any, readers: dict[int, list[Any]]) -> Diagnostic | None:
    """BD314 for a ``Map`` whose function is a generator function: each element is a
    generator object."""
    if not (
        isinstance(target, types.FunctionType)
        and shuffles.returns_elements(node)
        and target.__code__.co_flags & inspect.CO_GENERATOR
    ):
        return None
    after = [r for o in node.outputs.values() for r in readers.get(id(o), [])]
    where = shuffles.where(node)
    name = "the lambda" if target.__name__ == "<lambda>" else target.__qualname__
    return diagnostic(
        "BD314",
        f"{name} yields, so Map emits one generator object per input instead of the "
        "values it yields: a later step gets the generator, and a coder that encodes it "
        "fails (\"cannot pickle 'generator' object\") or empties it",
        severity="error" if after else "warning",
        path=f"{where['transform']} > {name}",
        **where,
    )


def step_output_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD314 for each user step whose function returns one value where Beam iterates
    (a DoFn's ``process``, a FlatMap), or yields where Beam takes one value (a Map); BD331
    for a generator step that returns elements."""
    refuses = profile().refuses_single_outputs
    readers = shuffles.consumers(pipeline)
    out: list[Diagnostic] = []
    for node, target in shuffles.user_transforms(pipeline):
        try:
            generator = _generator_map(node, target, readers)
            if generator is not None:
                out.append(generator)
                continue
            function = _iterated_function(node, target)
            if function is None:
                continue
            dropped = _dropped_returns(function)
            if dropped:  # one finding per step: the first return says it
                out.append(_dropped_finding(node, function, *dropped[0]))
                continue
            for ret, kind, sometimes in _single_returns(function):
                out.append(_iteration_finding(node, function, ret, kind, sometimes, refuses))
                break  # one finding per step: the first return says it
        except Exception:  # noqa: BLE001 - a hostile user object: no finding, no crash
            continue
    return out


__all__ = ["returns_dicts", "step_output_diagnostics"]
