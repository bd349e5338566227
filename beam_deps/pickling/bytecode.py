"""What a function's bytecode does: the globals, attributes and modules it reads, the calls
it makes, and the module state it changes, with their source lines.

Standard library only, on purpose, like ``walk`` (which uses it): the simulated worker
loads both files by path before it locks its imports down. Why bytecode and not the source:
the payload's functions are what the worker runs, source or not (a lambda made by
``exec``, a notebook cell), and their code objects are in the payload.
"""

from __future__ import annotations

import builtins
import dis
import sys
import types
from collections.abc import Iterator
from typing import Any

MUTATORS = frozenset(
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


def names_used(code: types.CodeType) -> set[str]:
    """Every attribute, global and string constant ``code`` (and its nested code) names."""
    out: set[str] = set()
    for c in code_objects(code):
        out.update(c.co_names)
        out.update(k for k in c.co_consts if isinstance(k, str))
    return out


# what ``self.__class__.X`` reads for a log line or a metric's namespace: not a new instance
_CLASS_NAME_ATTRS = frozenset({"__name__", "__qualname__", "__module__", "__doc__"})


def names_only_read(code: types.CodeType) -> set[str]:
    """``{"__class__"}`` when ``code`` reads ``self.__class__`` only for the class's name,
    so it never calls ``self.__class__(...)``: ``Metrics.counter(self.__class__.__name__,
    "in")`` in a PartitionFn of google-research's exoplanet-ml builds nothing, and its
    ``__init__`` still runs only while the pipeline is built. Empty otherwise."""
    for c in code_objects(code):
        instructions = list(dis.get_instructions(c))
        for i, ins in enumerate(instructions):
            if ins.opname not in ("LOAD_ATTR", "LOAD_METHOD") or ins.argval != "__class__":
                continue
            after = instructions[i + 1] if i + 1 < len(instructions) else None
            if after is None or after.opname != "LOAD_ATTR":
                return set()
            if after.argval not in _CLASS_NAME_ATTRS:
                return set()
    return {"__class__"}


def instruction_line(ins: dis.Instruction, current: int | None) -> int | None:
    """The source line of ``ins``, else ``current``. Why not ``starts_line``: from Python
    3.13 it is a bool (the line moved to ``line_number``), so every line read as 1."""
    positions = getattr(ins, "positions", None)
    if positions is not None and positions.lineno:
        return positions.lineno
    start = ins.starts_line
    return start if isinstance(start, int) and not isinstance(start, bool) else current


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
            line = instruction_line(ins, line)
            if ins.opname == "LOAD_GLOBAL" and isinstance(ins.argval, str):
                yield ins.argval, line


def super_names(code: types.CodeType) -> Iterator[tuple[str, int | None]]:
    """(name, line) for each ``super(name, ...)`` whose class argument is a global name."""
    for c in code_objects(code):
        line = c.co_firstlineno
        previous = None
        for ins in dis.get_instructions(c):
            line = instruction_line(ins, line)
            if (
                ins.opname == "LOAD_GLOBAL"
                and previous is not None
                and previous.opname == "LOAD_GLOBAL"
                and previous.argval == "super"
                and isinstance(ins.argval, str)
            ):
                yield ins.argval, line
            previous = ins


def attribute_reads(code: types.CodeType) -> Iterator[tuple[str, int | None]]:
    """(name, line) for every attribute read (``x.name``, ``x.name()``) in ``code`` and its
    nested code objects."""
    for c in code_objects(code):
        line = c.co_firstlineno
        for ins in dis.get_instructions(c):
            line = instruction_line(ins, line)
            if ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and isinstance(ins.argval, str):
                yield ins.argval, line


_CALL_OPS = frozenset({"CALL", "CALL_FUNCTION", "CALL_FUNCTION_KW", "CALL_KW"})

# Control flow between a callable and its call: the stack is not followed through it.
_FLOW = ("JUMP", "POP_JUMP", "RETURN", "FOR_ITER", "SEND", "YIELD", "RAISE", "CALL_FUNCTION_EX")


def global_calls(
    code: types.CodeType, name: str
) -> Iterator[tuple[int | None, int, tuple[str, ...]]]:
    """(line, positional count, keyword names) for each call ``name(...)`` of the global
    ``name`` in ``code`` and its nested code objects whose arguments the bytecode spells
    out. A call with ``*args``/``**kwargs``, or with a branch inside its arguments
    (``f(a if c else b)``), is left out: its argument count is not known without running
    it. Why: a class that lost its field defaults on the worker fails only where a call
    leaves a field out."""
    for c in code_objects(code):
        instructions = list(dis.get_instructions(c))
        line = c.co_firstlineno
        for i, ins in enumerate(instructions):
            line = instruction_line(ins, line)
            if ins.opname == "LOAD_GLOBAL" and ins.argval == name:
                call = _call_of(c, instructions, i)
                if call is not None:
                    yield (line, *call)


def _call_of(
    code: types.CodeType, instructions: list[dis.Instruction], start: int
) -> tuple[int, tuple[str, ...]] | None:
    """(positional count, keyword names) of the call that consumes the callable loaded at
    ``instructions[start]``, followed by stack depth: the call after which only its result
    is left where the callable was."""
    depth = _effect(instructions[start])
    keywords: Any = ()
    previous = instructions[start]
    following = [i for i in instructions[start + 1 :] if i.opname not in _NOISE]
    if following and following[0].opname in ("LOAD_ATTR", "LOAD_METHOD"):
        return None  # ``Item._make(row)``: a call of an attribute of it, not of it
    for ins in instructions[start + 1 :]:
        op = ins.opname
        if op.startswith(_FLOW):
            return None
        if op == "KW_NAMES":  # 3.11 and 3.12: the names of the next call's keywords
            keywords = code.co_consts[ins.arg] if ins.arg is not None else ()
        after = depth + _effect(ins)
        if op in _CALL_OPS:
            if op in ("CALL_FUNCTION_KW", "CALL_KW"):  # the names were pushed just before
                keywords = previous.argval
            if after == 1:
                names = tuple(keywords) if isinstance(keywords, tuple) else None
                if names is None or not isinstance(ins.arg, int):
                    return None
                return ins.arg - len(names), names
            keywords = ()
        if after < 1:
            return None
        depth, previous = after, ins
    return None


def global_names(code: types.CodeType) -> set[str]:
    return {name for name, _ in global_reads(code)}


def attributes_of(code: types.CodeType, name: str) -> Iterator[tuple[str, int | None, bool, bool]]:
    """(attribute, line, asks, raises) for each ``name.attribute`` read of the global
    ``name`` in ``code`` and its nested code. ``asks``: the code object that reads it has a
    way of its own for a missing attribute (``hasattr``/``getattr`` on it, or an ``except
    AttributeError``); ``raises``: that way is to raise (``if not hasattr(m, "x"): raise
    ...``: the branch taken when it is missing raises before it returns)."""
    for c in code_objects(code):
        ops = [i for i in dis.get_instructions(c) if i.opname not in _NOISE]
        asks = bool({"hasattr", "getattr", "AttributeError"} & set(c.co_names))
        raises = _missing_branch_raises(ops, name)
        line = c.co_firstlineno
        for i, ins in enumerate(ops):
            line = instruction_line(ins, line)
            if ins.opname != "LOAD_GLOBAL" or ins.argval != name or i + 1 >= len(ops):
                continue
            following = ops[i + 1]
            if following.opname in ("LOAD_ATTR", "LOAD_METHOD"):
                yield str(following.argval), line, asks, raises


def missing_attributes(
    fn: types.FunctionType, module: types.ModuleType
) -> Iterator[tuple[str, int | None, bool]]:
    """(attribute, line, asks) for each ``m.X`` read of a global ``m`` that is ``module``
    (the worker's ``__main__``: Beam's sdk_worker_main, with a loaded session if any) where
    ``module`` has no ``X``: a value the script set on its own ``__main__`` at launch
    (``__main__.run_config = config``, spotify/klio). A read whose code has a fallback of
    its own for a missing one (``attributes_of``'s ``asks`` without ``raises``) is left out."""
    for name in global_names(fn.__code__):
        if fn.__globals__.get(name) is not module:
            continue
        for attribute, line, asks, raises in attributes_of(fn.__code__, name):
            if (raises or not asks) and not hasattr(module, attribute):
                yield attribute, line, asks


def _missing_branch_raises(ops: list[dis.Instruction], name: str) -> bool:
    """A ``hasattr(name, ...)`` test whose branch for a missing attribute raises before it
    returns or jumps (the next 40 instructions of that branch)."""
    at = {ins.offset: k for k, ins in enumerate(ops)}
    for k, ins in enumerate(ops):
        if ins.opname != "LOAD_GLOBAL" or ins.argval != "hasattr":
            continue
        if k + 1 >= len(ops) or ops[k + 1].opname != "LOAD_GLOBAL" or ops[k + 1].argval != name:
            continue
        jump = next(
            (j for j in range(k + 2, min(k + 8, len(ops))) if "_IF_" in ops[j].opname), None
        )
        if jump is None:
            continue
        negated = any(ops[j].opname == "UNARY_NOT" for j in range(k + 2, jump))
        # the jump is taken when the test is true (IF_TRUE) or false (IF_FALSE)
        taken_when_true = "IF_TRUE" in ops[jump].opname or "IF_NOT_NONE" in ops[jump].opname
        missing_is_taken = taken_when_true == negated
        start = at.get(ops[jump].argval) if missing_is_taken else jump + 1
        for step in ops[start : start + 40] if start is not None else ():
            if step.opname == "RAISE_VARARGS":
                return True
            if step.opname.startswith(("RETURN", "JUMP", "POP_JUMP")):
                break
    return False


def imports(code: types.CodeType) -> Iterator[tuple[str, int | None]]:
    """(module, line) for every absolute ``import`` executed inside ``code``."""
    for c in code_objects(code):
        line = c.co_firstlineno
        previous: list[Any] = []
        for ins in dis.get_instructions(c):
            line = instruction_line(ins, line)
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


def _method_call(ins: dis.Instruction) -> bool:
    """The attribute is loaded to be called as a method (``X.add(y)``), not read as a value
    (``operator.add`` handed on): LOAD_METHOD up to Python 3.11, LOAD_ATTR with its method
    bit from 3.12."""
    if ins.opname == "LOAD_METHOD":
        return True
    return sys.version_info >= (3, 12) and bool((ins.arg or 0) & 1)


def global_mutations(
    code: types.CodeType, attributes: bool = False
) -> Iterator[tuple[str, int | None, str]]:
    """(name, line, how) for module globals the code rebinds or mutates in place:
    ``global X; X = ...``, ``X.append(...)`` and friends, ``X[k] = v``, ``X[k] += v``.
    With ``attributes``, also an attribute of a global mutated so (``Job.found.append(x)``:
    ``"Job.found"``), for the caller to judge what the global is.

    For subscripts we follow the stack depth above the loaded global: when the key alone
    sits above it at STORE_SUBSCR (or is copied for an augmented assignment), the global is
    the container being written to."""
    for c in code_objects(code):
        line = c.co_firstlineno
        loaded: str | None = None
        depth = 0
        for ins in dis.get_instructions(c):
            line = instruction_line(ins, line)
            op = ins.opname
            if op in _NOISE:
                continue
            if op in ("STORE_GLOBAL", "DELETE_GLOBAL"):
                yield ins.argval, line, "rebinds"
            if loaded is not None:
                if depth == 0 and op in ("LOAD_ATTR", "LOAD_METHOD"):
                    if ins.argval in MUTATORS and _method_call(ins):
                        yield loaded, line, f"calls .{ins.argval}() on"
                        loaded = None
                    elif attributes and "." not in loaded and not _method_call(ins):
                        loaded = f"{loaded}.{ins.argval}"  # Job.found, then .append
                    else:
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


# what may sit between a loaded global and the test on it: ``if X:`` (3.13 adds TO_BOOL),
# ``X = X or load()`` (COPY), ``X is None`` before 3.11 (LOAD_CONST None, IS_OP)
_TEST_STEPS = frozenset({"TO_BOOL", "COPY", "LOAD_CONST", "IS_OP", "COMPARE_OP", "UNARY_NOT"})


def tested_globals(code: types.CodeType) -> set[str]:
    """The globals ``code`` (and its nested code) tests for truth or None: ``if X is
    None:``, ``if not X:``, ``X = X or load()``. Why: a DoFn that sets such a global is
    filling the usual lazily made per-process cache (a model, a tokenizer), not a result the
    program waits for. ``if key not in X:`` is not one: a global set of seen keys is the
    deduplication that workers do not share."""
    out: set[str] = set()
    for c in code_objects(code):
        ops = [i for i in dis.get_instructions(c) if i.opname not in _NOISE]
        for i, ins in enumerate(ops):
            if ins.opname != "LOAD_GLOBAL":
                continue
            for following in ops[i + 1 : i + 4]:
                op = following.opname
                if "JUMP" in op and "_IF_" in op:
                    out.add(ins.argval)
                    break
                if op not in _TEST_STEPS or (op == "LOAD_CONST" and following.argval is not None):
                    break
    return out


def state_mutations(fn: types.FunctionType) -> Iterator[tuple[str, int | None, str]]:
    """``global_mutations`` of ``fn``'s code, with the attributes of a class defined in
    ``fn``'s own module: state the user keeps on a class (``Job.found``), which each worker
    process has its own copy of; not ``sys.path.append``, which is not the user's state."""
    for name, line, how in global_mutations(fn.__code__, attributes=True):
        owner = fn.__globals__.get(name.split(".")[0]) if "." in name else None
        if "." in name and not (
            isinstance(owner, type) and getattr(owner, "__module__", None) == fn.__module__
        ):
            continue
        yield name, line, how


def unresolved(fn: types.FunctionType) -> Iterator[tuple[str, int | None, str]]:
    """Global names ``fn`` reads that will not resolve: (name, line, where it would look)."""
    g = fn.__globals__
    b = g.get("__builtins__", builtins)
    bnames = b if isinstance(b, dict) else getattr(b, "__dict__", {})
    for name, line in global_reads(fn.__code__):
        if name not in g and name not in bnames:
            yield name, line, "globals"


_FIELD_READERS = ("fields", "asdict", "astuple")


def field_readers(fn: types.FunctionType) -> list[tuple[str, int | None]]:
    """(name, line) for each ``dataclasses`` function ``fn`` reads that walks a dataclass's
    fields: ``asdict`` (``fields``, ``astuple``) imported from it, or ``dataclasses.asdict``
    (``astuple``; ``.fields`` is too common an attribute name to claim)."""
    import dataclasses

    g = fn.__globals__
    found: set[tuple[str, int | None]] = set()
    for name, line in global_reads(fn.__code__):
        value = g.get(name)
        if value is dataclasses:
            found |= {
                (attribute, at)
                for attribute, at in attribute_reads(fn.__code__)
                if attribute in ("asdict", "astuple")
            }
        elif any(value is getattr(dataclasses, r) for r in _FIELD_READERS):
            found.add((name, line))
    return sorted(found, key=lambda item: (item[1] or 0, item[0]))
