"""A stable fingerprint of a value, the same in any interpreter that holds an equal value.

Standard library only, on purpose: ``launch_state`` loads this file by path into a fresh
interpreter (which imports the user's modules as a worker would) and compares what it
computes there with what it computes in the submitting process. So nothing here may depend
on addresses, hash seeds or insertion order:

* atoms by ``repr`` (long ones by digest); containers element-wise, sets and dict items
  sorted by their own fingerprints;
* functions, classes and modules by name (they travel by reference);
* enum members by class and name;
* an instance of the user's own class (``__main__`` or a file outside the interpreter's
  folders) by its attributes; any other object only by its type: a library object's state
  (a logger's handlers, a client's pool) changes for reasons no pipeline reads.
"""

from __future__ import annotations

import enum
import hashlib
import os
import reprlib
import sys
import sysconfig
import types
from typing import Any

MAX_DEPTH = 6
MAX_ITEMS = 2000
_ATOMS = (str, bytes, int, float, complex, bool, type(None))
_REFS = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    type,
    types.ModuleType,
    staticmethod,
    classmethod,
)


class _Shown(reprlib.Repr):
    """reprlib, with functions and classes by name (never an address)."""

    def repr_function(self, obj: Any, level: int) -> str:
        return _name(obj)

    repr_type = repr_builtin_function_or_method = repr_method = repr_module = repr_function


_repr = _Shown()
_repr.maxstring = 60
_repr.maxother = 60


def _library_folders() -> tuple[str, ...]:
    paths = {sysconfig.get_paths().get(key) for key in ("stdlib", "platstdlib", "purelib")}
    paths |= {sys.prefix, sys.base_prefix}
    return tuple(os.path.join(os.path.realpath(p), "") for p in paths if p)


_LIBRARY = _library_folders()


def _users_class(cls: type) -> bool:
    module = sys.modules.get(getattr(cls, "__module__", "") or "")
    if getattr(cls, "__module__", None) == "__main__":
        return True
    filename = getattr(module, "__file__", None)
    if not filename:
        return False
    real = os.path.realpath(filename)
    parts = real.split(os.sep)
    return not real.startswith(_LIBRARY) and "site-packages" not in parts


def _name(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or ""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or ""
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    if isinstance(obj, types.MethodType):
        return f"{_name(obj.__func__)} of {_name(type(obj.__self__))}"
    return f"{module}.{name}"


def fingerprint(value: Any, depth: int = 0) -> Any:
    """A JSON-able value equal for equal states, whatever the interpreter."""
    if isinstance(value, bool | type(None)):
        return ["atom", repr(value)]
    if isinstance(value, enum.Enum):
        return ["enum", _name(type(value)), value.name]
    if type(value) in _ATOMS or isinstance(value, _ATOMS):
        text = repr(value)
        if len(text) > 200:
            text = "sha256:" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
        return [type(value).__name__, text]
    if isinstance(value, _REFS):
        return ["ref", _name(value)]
    kind = _name(type(value))
    if depth >= MAX_DEPTH:
        return ["deep", kind]
    if isinstance(value, list | tuple):
        items = [fingerprint(v, depth + 1) for v in list(value)[:MAX_ITEMS]]
        return ["seq", kind, len(value), items]
    if isinstance(value, set | frozenset):
        items = sorted((fingerprint(v, depth + 1) for v in list(value)[:MAX_ITEMS]), key=repr)
        return ["set", kind, len(value), items]
    if isinstance(value, dict):
        pairs = [
            [fingerprint(k, depth + 1), fingerprint(v, depth + 1)]
            for k, v in list(value.items())[:MAX_ITEMS]
        ]
        return ["map", kind, len(value), sorted(pairs, key=repr)]
    if _users_class(type(value)):
        state = getattr(value, "__dict__", None)
        if isinstance(state, dict):
            return ["obj", kind, fingerprint(state, depth + 1)]
    return ["type", kind]


def shown(value: Any) -> str:
    """A short display of the value for a message."""
    try:
        return _repr.repr(value)
    except Exception:  # noqa: BLE001 - a hostile __repr__
        return f"<{_name(type(value))}>"


MISSING = ["missing"]
