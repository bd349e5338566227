"""What type an expression of a user function surely has, whatever its inputs.

BD306 and BD308 put the values a function emits through the coder of its declared type.
Only values whose type the code itself fixes are claimed: a literal, an f-string, a true
division (a float), ``s.encode("utf-8")`` (bytes), ``line.split(b",")[0]`` (bytes: only bytes
split on a bytes separator). A name, an item, a call of the user's own function or a method
any object may define (a tokenizer's ``encode()``) could be anything, so it is ``UNKNOWN``.
"""

from __future__ import annotations

import ast
from typing import Any

UNKNOWN = object()

_FLOAT_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Pow, ast.Mod)
# Calls whose result has one type whatever the arguments (receiver-independent methods only:
# ``x.strip()`` may be str or bytes, ``x.encode()`` is always bytes).
_STR_CALLS = frozenset({"str", "repr", "format", "chr", "hex", "oct", "ascii"})
# Method names specific enough to fix the result's type (hashlib, datetime, protobuf); not
# ``encode``/``decode``/``digest``, which user objects and libraries also define (geohash,
# a tokenizer's ``encode`` returning ids): those only with an encoding name as argument.
_STR_METHODS = frozenset({"hexdigest", "isoformat", "strftime"})
_BYTES_METHODS = frozenset({"SerializeToString"})
_ENCODINGS = frozenset({"utf-8", "utf8", "ascii", "latin-1", "latin1", "utf-16", "cp1252"})
_INT_CALLS = frozenset({"int", "len", "ord", "hash"})
TEXT, DATA = "text", b"data"  # what a str or bytes expression stands for in a round trip


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
    return (
        isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "float"
    )


def _is_text(expr: ast.AST) -> bool:
    return isinstance(expr, ast.JoinedStr) or (
        isinstance(expr, ast.Constant) and isinstance(expr.value, str)
    )


def sample(expr: ast.AST) -> Any:
    """A value of the type ``expr`` evaluates to whatever its inputs, or ``UNKNOWN``: a
    literal is itself, an always-float expression 2.7, a str expression (an f-string,
    ``str(x)``, ``b.decode()``, ``"%s" % x``) ``"text"``, a bytes one (``s.encode()``,
    ``bytes(x)``) ``b"data"``, ``len(x)`` 1."""
    if isinstance(expr, ast.Constant):
        value = expr.value
        return value if value is None or isinstance(value, str | bytes | int | float) else UNKNOWN
    if isinstance(expr, ast.JoinedStr):
        return TEXT
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add | ast.Mod):
        # "%.1f%%" % (a / b) is text, whatever the float on its right
        if _is_text(expr.left) or (isinstance(expr.op, ast.Add) and _is_text(expr.right)):
            return TEXT
        sides = (expr.left, expr.right) if isinstance(expr.op, ast.Add) else (expr.left,)
        if any(_literal(side) is bytes for side in sides):
            return DATA
    if _always_float(expr):
        return 2.7
    if isinstance(expr, ast.BinOp):
        return UNKNOWN
    if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Call):
        # line.split(b",")[0]: a piece of what is split, of the separator's type
        call = expr.value
        if isinstance(expr.slice, ast.Slice):  # line.split(",")[1:] is a list
            return UNKNOWN
        if isinstance(call.func, ast.Attribute) and call.func.attr in _SPLITTERS:
            return _by_argument(call)
        return UNKNOWN
    if not isinstance(expr, ast.Call):
        return UNKNOWN
    func = expr.func
    if isinstance(func, ast.Attribute) and func.attr in _SAME_TYPE_METHODS:
        if (kind := _by_argument(expr)) is not UNKNOWN:
            return kind
    if isinstance(func, ast.Name):
        if func.id in _STR_CALLS:
            return TEXT
        if func.id == "bytes":
            return DATA
        return 1 if func.id in _INT_CALLS else UNKNOWN
    if isinstance(func, ast.Attribute):
        if func.attr in ("encode", "decode") and _encoding_argument(expr):
            return DATA if func.attr == "encode" else TEXT
        if func.attr in _BYTES_METHODS:
            return DATA
        if func.attr in _STR_METHODS or (_is_text(func.value) and func.attr in ("format", "join")):
            return TEXT
    return UNKNOWN


# Methods of both str and bytes whose result (or pieces) have their arguments' type: called
# with a bytes literal they work only on bytes, with a str literal only on str.
_SPLITTERS = frozenset({"split", "rsplit", "partition", "rpartition"})
_SAME_TYPE_METHODS = frozenset(
    {"replace", "strip", "lstrip", "rstrip", "removeprefix", "removesuffix"}
)


def _encoding_argument(call: ast.Call) -> bool:
    """``s.encode("utf-8")``, ``b.decode(encoding="ascii")``: only str and bytes take an
    encoding's name there."""
    args = [*call.args, *(k.value for k in call.keywords if k.arg == "encoding")]
    return (
        len(args) >= 1
        and isinstance(args[0], ast.Constant)
        and isinstance(args[0].value, str)
        and args[0].value.lower() in _ENCODINGS
    )


def _literal(expr: ast.AST) -> type | None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str | bytes):
        return type(expr.value)
    return str if isinstance(expr, ast.JoinedStr) else None


def _by_argument(call: ast.Call) -> Any:
    """``b"data"`` or ``"text"`` when a literal argument fixes a str/bytes method's type."""
    kinds = {_literal(arg) for arg in call.args} - {None}
    if len(kinds) != 1:
        return UNKNOWN
    return DATA if kinds == {bytes} else TEXT


def maybe_none(expr: ast.AST) -> bool:
    """``row.get("amount")``: a mapping's ``get`` without a default is None where the key
    is missing (a row from a file or a table without that column), which only the data
    decides."""
    return (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "get"
        and len(expr.args) == 1
        and not expr.keywords
    )


def round_trip(coder: Any, value: Any) -> tuple[str, str] | None:
    """What ``coder`` (Beam's own, as the worker runs it) does to ``value``: ("rejected",
    the worker's error) or ("changed", what arrives), or None when it comes back equal."""
    from apache_beam.coders.coder_impl import create_InputStream, create_OutputStream

    impl = coder.get_impl()  # what the worker calls (a coder's own encode() may differ)
    try:
        stream = create_OutputStream()
        impl.encode_to_stream(value, stream, True)
        back = impl.decode_from_stream(create_InputStream(stream.get()), True)
    except Exception as error:  # noqa: BLE001 - the coder's own failure is the finding
        return "rejected", f"{type(error).__name__}: {error}"
    if back != value or (value is None) != (back is None):
        return "changed", f"{value!r} arrives as {back!r}"
    return None


def estimate_error(coder: Any, value: Any) -> str | None:
    """The worker's error when it estimates the size of ``value`` with ``coder`` (what it
    does to every output it counts, shuffle or not), or None. Why apart from
    ``round_trip``: an estimate reads less than an encoding (a tuple coder's estimate takes
    the first items of a str, where encoding it fails on the number of components)."""
    try:
        coder.get_impl().get_estimated_size_and_observables(value)
    except Exception as error:  # noqa: BLE001 - the coder's own failure is the finding
        return f"{type(error).__name__}: {error}"
    return None


__all__ = ["DATA", "TEXT", "UNKNOWN", "estimate_error", "maybe_none", "round_trip", "sample"]
