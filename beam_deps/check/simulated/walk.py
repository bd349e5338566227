"""Which user functions an object carries, and which global names and imports they use.

Standard library only, on purpose: the simulated worker loads this file by path before it
locks its imports down, so it must not import beam-deps (which a worker does not have).
The submitting side uses the same code for its own checks (module-level state).

A function "belongs to the user" when it was pickled by value: defined in ``__main__``,
or rebuilt from a payload with a globals dict that is not its module's ``__dict__``.
Functions imported by reference (Beam's, the standard library's, an installed package's)
run against their own module's globals and are not our business.
"""

from __future__ import annotations

import builtins
import dis
import sys
import types
from collections.abc import Iterator
from typing import Any

MAX_OBJECTS = 20_000
_ATOMIC = (str, bytes, bytearray, int, float, complex, bool, type(None), range, slice)
_MUTATORS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "add",
        "update",
        "setdefault",
        "pop",
        "popitem",
        "clear",
        "remove",
        "discard",
        "__setitem__",
        "__delitem__",
        "__iadd__",
    }
)


def is_user_function(fn: types.FunctionType) -> bool:
    module = getattr(fn, "__module__", None)
    main = sys.modules.get("__main__")
    if module == "__main__" or fn.__globals__ is getattr(main, "__dict__", None):
        return True  # dill rebinds __main__ functions to the worker's __main__
    mod = sys.modules.get(module) if isinstance(module, str) else None
    return mod is None or getattr(mod, "__dict__", None) is not fn.__globals__


def _is_user_class(cls: type) -> bool:
    module = getattr(cls, "__module__", None)
    if module == "__main__":
        return True
    if module in ("builtins",) or not isinstance(module, str):
        return False
    mod = sys.modules.get(module)
    if mod is None:
        return True
    return getattr(mod, cls.__name__, None) is not cls  # not importable: it travels by value


def user_functions(root: Any, limit: int = MAX_OBJECTS) -> Iterator[types.FunctionType]:
    """Every user function reachable from ``root`` (closures, defaults, globals, methods,
    instance attributes, containers), each once; bounded by ``limit`` visited objects."""
    seen: set[int] = set()
    stack = [root]
    budget = limit
    while stack and budget:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _ATOMIC) or isinstance(obj, types.ModuleType):
            continue
        seen.add(id(obj))
        budget -= 1
        try:
            children = list(_children(obj))
        except Exception:  # noqa: BLE001 - hostile objects
            children = []
        if isinstance(obj, types.FunctionType) and is_user_function(obj):
            yield obj
        stack.extend(children)


def _children(obj: Any) -> Iterator[Any]:
    if isinstance(obj, types.FunctionType):
        # Library wrappers (Beam's Map lambdas) are not checked themselves, but what they
        # close over (the user's function) is.
        for cell in obj.__closure__ or ():
            try:
                yield cell.cell_contents
            except ValueError:
                pass
        yield from obj.__defaults__ or ()
        yield from (obj.__kwdefaults__ or {}).values()
        if not is_user_function(obj):
            return
        g = obj.__globals__
        for name in global_names(obj.__code__):
            if name in g:
                value = g[name]
                if isinstance(value, types.FunctionType | type):
                    yield value
        return
    if isinstance(obj, types.MethodType):
        yield obj.__func__
        yield obj.__self__
        return
    if isinstance(obj, staticmethod | classmethod):
        yield obj.__func__
        return
    if isinstance(obj, property):
        yield from (f for f in (obj.fget, obj.fset, obj.fdel) if f is not None)
        return
    if isinstance(obj, type):
        if _is_user_class(obj):
            yield from obj.__dict__.values()
            yield from obj.__bases__
        return
    if isinstance(obj, dict):
        yield from obj.values()
        return
    if isinstance(obj, list | tuple | set | frozenset):
        yield from list(obj)[:5000]
        return
    if type(obj).__name__ == "partial":
        yield obj.func
        yield from obj.args
        yield from (obj.keywords or {}).values()
    yield type(obj)
    state = getattr(obj, "__dict__", None)
    if isinstance(state, dict):
        yield from state.values()
    for slot in getattr(type(obj), "__slots__", ()) or ():
        if isinstance(slot, str) and hasattr(obj, slot):
            yield getattr(obj, slot)


def code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    """``code`` and every code object nested in it (inner functions, lambdas, comprehensions)."""
    stack = [code]
    while stack:
        c = stack.pop()
        yield c
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))


def global_reads(code: types.CodeType) -> Iterator[tuple[str, int | None]]:
    """(name, line) for every global name read by ``code`` and its nested code objects."""
    for c in code_objects(code):
        line = c.co_firstlineno
        for ins in dis.get_instructions(c):
            if ins.starts_line:
                line = ins.starts_line
            if ins.opname == "LOAD_GLOBAL" and isinstance(ins.argval, str):
                yield ins.argval, line


def global_names(code: types.CodeType) -> set[str]:
    return {name for name, _ in global_reads(code)}


def imports(code: types.CodeType) -> Iterator[tuple[str, int | None]]:
    """(module, line) for every absolute ``import`` executed inside ``code``."""
    for c in code_objects(code):
        line = c.co_firstlineno
        previous: list[Any] = []
        for ins in dis.get_instructions(c):
            if ins.starts_line:
                line = ins.starts_line
            if ins.opname == "IMPORT_NAME" and isinstance(ins.argval, str):
                level = previous[-2].argval if len(previous) >= 2 else 0
                if not level:
                    yield ins.argval, line
            previous = (previous + [ins])[-3:]


_NOISE = frozenset({"CACHE", "PRECALL", "PUSH_NULL", "EXTENDED_ARG", "NOP"})


def _effect(ins: dis.Instruction) -> int:
    try:
        arg = ins.arg if ins.opcode >= dis.HAVE_ARGUMENT else None
        return dis.stack_effect(ins.opcode, arg, jump=False)
    except (ValueError, TypeError):
        return 0


def global_mutations(code: types.CodeType) -> Iterator[tuple[str, int | None, str]]:
    """(name, line, how) for module globals the code rebinds or mutates in place:
    ``global X; X = ...``, ``X.append(...)`` and friends, ``X[k] = v``, ``X[k] += v``.

    For subscripts we follow the stack depth above the loaded global: when the key alone
    sits above it at STORE_SUBSCR (or is copied for an augmented assignment), the global is
    the container being written to."""
    for c in code_objects(code):
        line = c.co_firstlineno
        loaded: str | None = None
        depth = 0
        for ins in dis.get_instructions(c):
            if ins.starts_line:
                line = ins.starts_line
            op = ins.opname
            if op in _NOISE:
                continue
            if op in ("STORE_GLOBAL", "DELETE_GLOBAL"):
                yield ins.argval, line, "rebinds"
            if loaded is not None:
                if depth == 0 and op in ("LOAD_ATTR", "LOAD_METHOD"):
                    if ins.argval in _MUTATORS:
                        yield loaded, line, f"calls .{ins.argval}() on"
                    loaded = None
                elif depth == 1 and op in ("STORE_SUBSCR", "DELETE_SUBSCR"):
                    yield loaded, line, "assigns an item of"
                    loaded = None
                elif depth == 1 and op == "COPY" and ins.arg == 2:
                    yield loaded, line, "updates an item of"
                    loaded = None
                else:
                    depth += _effect(ins)
                    if depth < 0 or op.startswith(("JUMP", "POP_JUMP", "RETURN")):
                        loaded = None
            if op == "LOAD_GLOBAL":
                loaded, depth = ins.argval, 0


def unresolved(fn: types.FunctionType) -> Iterator[tuple[str, int | None, str]]:
    """Global names ``fn`` reads that will not resolve: (name, line, where it would look)."""
    g = fn.__globals__
    b = g.get("__builtins__", builtins)
    bnames = b if isinstance(b, dict) else getattr(b, "__dict__", {})
    for name, line in global_reads(fn.__code__):
        if name not in g and name not in bnames:
            yield name, line, "globals"
