"""The object graph as the pickler sees it: which parts an object carries, and their names.

The inspector and the hazard locator both walk this graph, so a path like
``EnrichFn.client._conn`` or ``<lambda> closure 'rows'`` means the same thing everywhere.
Every accessor here is defensive: user objects may raise from any attribute, answer every
attribute (``MagicMock``), or return nonsense from ``__reduce_ex__``.
"""

from __future__ import annotations

import copyreg
import functools
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from beam_deps.beam import cloudpickle_internals

beam_cloudpickle = cloudpickle_internals()  # Beam's vendored copy (2.65+) or PyPI's (2.61-2.64)


ATOMIC = (str, bytes, bytearray, int, float, complex, bool, type(None), range, slice)
_SKIP_CLASS_ATTRS = frozenset(
    {"__dict__", "__weakref__", "__module__", "__doc__", "__qualname__", "__slotnames__"}
)
MAX_CHILDREN = 2_000


@dataclass(frozen=True)
class Edge:
    """One step from a parent to a part it carries; ``label`` is the path text for it."""

    label: str
    child: Any


def class_qualname(cls: type) -> str:
    """A class's qualified name, read from the type itself (metaclasses and mocks can lie)."""
    name = type.__dict__["__qualname__"].__get__(cls)
    return name if isinstance(name, str) else type.__dict__["__name__"].__get__(cls)


def safe_type_name(obj: Any) -> str:
    return class_qualname(type(obj))


def root_label(obj: Any) -> str:
    """How a path starts: a function's name, a class's name, otherwise the type's name."""
    if isinstance(obj, types.FunctionType | types.BuiltinFunctionType):
        name = obj.__name__
        return name if isinstance(name, str) else "function"
    if isinstance(obj, types.MethodType):
        return f"{safe_type_name(obj.__self__)}.{obj.__func__.__name__}"
    if isinstance(obj, type):
        return obj.__name__
    return safe_type_name(obj)


def key_label(key: Any) -> str | None:
    if isinstance(key, str | int | float | bool | bytes | type(None)):
        text = repr(key)
        return f"[{text if len(text) <= 40 else text[:37] + '...'}]"
    return None


def module_of(obj: Any) -> str | None:
    try:
        module = obj.__module__ if isinstance(obj, type | types.FunctionType) else None
    except Exception:  # noqa: BLE001
        return None
    return module if isinstance(module, str) else None


def is_pickled_by_value(obj: Any, library: str) -> bool:
    """Whether the library serialises this function or class by value (its code travels)."""
    if not isinstance(obj, types.FunctionType | type):
        return False
    if library == "cloudpickle":
        try:
            return not beam_cloudpickle._should_pickle_by_reference(obj)
        except Exception:  # noqa: BLE001
            return True
    module = module_of(obj)
    qualname = getattr(obj, "__qualname__", None)
    if module in (None, "__main__") or not isinstance(qualname, str):
        return True
    if "<locals>" in qualname:
        return True
    import sys

    target: Any = sys.modules.get(module)
    for part in qualname.split("."):
        target = getattr(target, part, None)
    return target is not obj


def children(obj: Any, library: str, limit: int | None = MAX_CHILDREN) -> list[Edge]:
    """The parts ``obj`` carries into the pickle, each with its path label.

    At most ``limit + 1`` edges are returned, so a caller can tell that the list was cut.
    """
    if isinstance(obj, ATOMIC) or isinstance(obj, types.ModuleType | types.CodeType):
        return []
    edges: list[Edge] = []
    try:
        for edge in _children(obj, library):
            edges.append(edge)
            if limit is not None and len(edges) > limit:
                break
    except KeyboardInterrupt:
        raise
    except BaseException:  # noqa: BLE001 - a hostile object is a leaf, never our crash
        return edges
    return edges


def _children(obj: Any, library: str) -> Iterator[Edge]:
    cls = type(obj)
    if cls is dict:
        yield from _dict_edges(obj)
    elif cls in (list, tuple):
        for i, item in enumerate(obj):
            yield Edge(f"[{i}]", item)
    elif cls in (set, frozenset):
        for i, item in enumerate(obj):
            yield Edge(f"<item {i}>", item)
    elif isinstance(obj, types.FunctionType):
        if is_pickled_by_value(obj, library):
            yield from _function_edges(obj)
    elif isinstance(obj, types.MethodType):
        yield Edge(".__self__", obj.__self__)
        yield Edge(".__func__", obj.__func__)
    elif isinstance(obj, type):
        if is_pickled_by_value(obj, library):
            yield from _class_edges(obj)
    elif cls is functools.partial:
        yield Edge(".func", obj.func)
        for i, arg in enumerate(obj.args):
            yield Edge(f".args[{i}]", arg)
        for name, value in obj.keywords.items():
            yield Edge(f".keywords[{name!r}]", value)
    elif isinstance(obj, types.CellType):
        try:
            yield Edge(".cell_contents", obj.cell_contents)
        except ValueError:
            return
    else:
        yield from _reduce_edges(obj)


def _dict_edges(d: dict) -> Iterator[Edge]:
    for i, (key, value) in enumerate(list(d.items())):
        label = key_label(key)
        if label is None:
            yield Edge(f"<key {i}>", key)
            label = f"[<key {i}>]"
        yield Edge(label, value)


def _function_edges(fn: types.FunctionType) -> Iterator[Edge]:
    code = fn.__code__
    if fn.__closure__:
        for name, cell in zip(code.co_freevars, fn.__closure__):
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            yield Edge(f" closure '{name}'", value)
    fn_globals = fn.__globals__
    for name in beam_cloudpickle._extract_code_globals(code):
        if name in fn_globals:
            yield Edge(f" global '{name}'", fn_globals[name])
    if fn.__defaults__:
        names = code.co_varnames[: code.co_argcount]
        offset = len(names) - len(fn.__defaults__)
        for i, value in enumerate(fn.__defaults__):
            index = offset + i
            name = names[index] if 0 <= index < len(names) else str(i)
            yield Edge(f" default '{name}'", value)
    if fn.__kwdefaults__:
        for name, value in fn.__kwdefaults__.items():
            yield Edge(f" default '{name}'", value)
    if fn.__dict__:
        for name, value in fn.__dict__.items():
            yield Edge(f".{name}", value)


def _class_edges(cls: type) -> Iterator[Edge]:
    for name, value in list(cls.__dict__.items()):
        if name in _SKIP_CLASS_ATTRS:
            continue
        if isinstance(value, staticmethod | classmethod):
            value = value.__func__
        elif isinstance(value, property):
            for part in ("fget", "fset", "fdel"):
                accessor = getattr(value, part)
                if accessor is not None:
                    yield Edge(f".{name}.{part}", accessor)
            continue
        yield Edge(f".{name}", value)
    for i, base in enumerate(cls.__bases__):
        if base is not object:
            yield Edge(f".__bases__[{i}]", base)


def _reduce_edges(obj: Any) -> Iterator[Edge]:
    cls = type(obj)
    reducer = copyreg.dispatch_table.get(cls)
    rv = reducer(obj) if reducer is not None else obj.__reduce_ex__(4)
    if not isinstance(rv, tuple) or not 2 <= len(rv) <= 6:
        return
    func, args = rv[0], rv[1]
    state = rv[2] if len(rv) > 2 else None
    listitems = rv[3] if len(rv) > 3 else None
    dictitems = rv[4] if len(rv) > 4 else None
    if isinstance(func, types.FunctionType) and is_pickled_by_value(func, "cloudpickle"):
        yield Edge("<reduce>", func)
    elif func is cls and is_pickled_by_value(cls, "cloudpickle"):
        yield Edge(".__class__", cls)  # e.g. an Enum member reduces to (its class, (value,))
    if isinstance(args, tuple):
        for i, arg in enumerate(args):
            if arg is cls:
                if is_pickled_by_value(cls, "cloudpickle"):
                    yield Edge(".__class__", cls)
                continue
            yield Edge(f"<arg {i}>", arg)
    if isinstance(state, dict):
        yield from _state_edges(state)
    elif (
        isinstance(state, tuple)
        and len(state) == 2
        and all(s is None or isinstance(s, dict) for s in state)
    ):
        for part in state:
            if part:
                yield from _state_edges(part)
    elif state is not None:
        yield Edge("<state>", state)
    if listitems is not None and isinstance(listitems, Iterator):
        for i, item in enumerate(listitems):
            yield Edge(f"[{i}]", item)
    if dictitems is not None and isinstance(dictitems, Iterator):
        for i, pair in enumerate(dictitems):
            if not (isinstance(pair, tuple) and len(pair) == 2):
                break
            label = key_label(pair[0]) or f"[<key {i}>]"
            yield Edge(label, pair[1])


def _state_edges(state: dict) -> Iterator[Edge]:
    for name, value in list(state.items()):
        label = f".{name}" if isinstance(name, str) and name.isidentifier() else key_label(name)
        yield Edge(label or "<state>", value)
