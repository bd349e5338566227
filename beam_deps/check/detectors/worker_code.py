"""Which of the user's functions a payload runs on the worker, and the object each runs with.

Detectors that judge what code *does on a worker* (opening a local file, reading module state
set at launch) must not look at code that runs only while the pipeline is built: a DoFn's
``__init__`` runs on the submitting machine, its ``setup()``/``process()`` on the worker. So
we start from the entry points Beam calls on the worker (the DoFn, CombineFn and source
methods, the function of a ``Map``) and follow what they call: ``self.helper()`` on the same
object and global functions of the user's files. Only the user's files are followed
(``pickling.locations.is_user_file``): a library's own code is the library's business.

``attribute_chains`` is the one reading of what that code reads (``mod.A.b``, ``self.x``,
an object in its closure), for every detector that asks.
"""

from __future__ import annotations

import collections
import dis
import inspect
import types
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from beam_deps.pickling.bytecode import instruction_line
from beam_deps.pickling.locations import is_user_file
from beam_deps.pickling.walk import WORKER_ENTRIES

# What Beam calls on the worker (DoFn, CombineFn, sources, sinks' writers), never at build.
WORKER_METHODS = WORKER_ENTRIES
# Which payloads are code the worker runs (pipeline.payloads' kinds).
RUN_ON_WORKERS = ("dofn", "callable", "combinefn", "source")
MAX_FUNCTIONS = 200
MISSING: Any = object()
_NOISE = frozenset({"CACHE", "PRECALL", "PUSH_NULL", "EXTENDED_ARG", "NOP", "COPY_FREE_VARS"})
Chain = tuple[str, str, list[str], bool, int | None]


@dataclass(frozen=True)
class WorkerFunction:
    """A user function the worker runs; ``instance`` is the object it is a method of."""

    function: types.FunctionType
    instance: Any = None
    # The values the worker passes to parameters other than ``self`` and the element: the
    # step's extra arguments (``Map(fn, path=x)``, ``ParDo(Fn(), x)``) and the defaults of
    # the others. Only for an entry point Beam calls; a called helper's are unknown (empty).
    arguments: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def self_name(self) -> str | None:
        """The name of the method's ``self`` argument (None for a plain function)."""
        code = self.function.__code__
        if self.instance is None or code.co_argcount < 1:
            return None
        return code.co_varnames[0]


def is_user_function(fn: Any) -> bool:
    """A function written in the user's files (not Beam's, a library's or beam-deps')."""
    return isinstance(fn, types.FunctionType) and is_user_file(fn.__code__.co_filename)


def _entries(obj: Any) -> Iterator[WorkerFunction]:
    """The worker entry points of one pickled payload object, each with the arguments Beam
    calls it with (a ParDo's extra arguments go to ``process`` or the Map's function)."""
    from beam_deps.pipeline.payloads import user_code, wrapper_kind

    if not (isinstance(obj, tuple) and obj and not isinstance(obj[0], type)):
        yield from _callable_entries(user_code(obj))
        return
    # a ParDo payload: (fn, args, kwargs, side inputs, windowing)
    fn = obj[0]
    args = obj[1] if len(obj) > 1 and isinstance(obj[1], tuple | list) else ()
    kwargs = obj[2] if len(obj) > 2 and isinstance(obj[2], dict) else {}
    unpacked = wrapper_kind(fn) in ("MapTuple", "FlatMapTuple")  # fn(*element, *args)
    for entry in _callable_entries(user_code(fn)):
        name = entry.function.__name__
        if entry.instance is not None and not isinstance(user_code(fn), types.MethodType):
            # a DoFn's method: process gets (element, *args), the others nothing
            called = (2, args, kwargs) if name == "process" else (1, (), {})
        else:  # the Map's function (a bound method's ``self`` comes first)
            called = (1 + (entry.instance is not None), args, kwargs)
        values = _arguments(entry.function, *called, positional=not unpacked)
        yield WorkerFunction(entry.function, entry.instance, values)


def _arguments(
    fn: types.FunctionType, skip: int, args: Any, kwargs: dict, *, positional: bool = True
) -> dict[str, Any]:
    """The values ``fn``'s parameters after the first ``skip`` get when Beam calls it with
    ``args`` and ``kwargs`` after the element: those, else each parameter's default. With
    ``positional`` False (MapTuple: the element's fields come first, their number unknown),
    only keyword arguments and keyword-only defaults are certain."""
    code = fn.__code__
    names = code.co_varnames[: code.co_argcount]
    kwonly = code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
    out: dict[str, Any] = dict(fn.__kwdefaults__ or {})
    if positional:
        defaults = fn.__defaults__ or ()
        out.update(zip(names[len(names) - len(defaults) :], defaults))
        if len(args) > len(names[skip:]) and not code.co_flags & inspect.CO_VARARGS:
            return {}  # not how this function is called: say nothing
        out.update(zip(names[skip:], args))
    out.update((k, v) for k, v in kwargs.items() if k in names[skip:] or k in kwonly)
    for name in names[:skip]:
        out.pop(name, None)
    return out


def _callable_entries(obj: Any) -> Iterator[WorkerFunction]:
    if isinstance(obj, types.FunctionType):
        yield WorkerFunction(obj)
    elif isinstance(obj, types.MethodType):
        if isinstance(obj.__func__, types.FunctionType):
            yield WorkerFunction(obj.__func__, obj.__self__)
    elif obj is not None and not isinstance(obj, type | types.ModuleType):
        cls = type(obj)
        for name in WORKER_METHODS:
            method = getattr(cls, name, None)
            if isinstance(method, types.FunctionType):
                yield WorkerFunction(method, obj)


def closure_value(fn: types.FunctionType, name: str) -> Any:
    """What the free variable ``name`` of ``fn`` holds (``MISSING`` when it has none)."""
    try:
        return (fn.__closure__ or ())[fn.__code__.co_freevars.index(name)].cell_contents
    except (IndexError, ValueError):
        return MISSING


def free_value(fn: types.FunctionType, name: str) -> Any:
    """What a free name of ``fn`` holds where it runs: its closure's cell (pickled with it),
    else its global (``MISSING`` when neither has it)."""
    if name in fn.__code__.co_freevars:
        return closure_value(fn, name)
    return fn.__globals__.get(name, MISSING)


def _subscript_written(ops: list[dis.Instruction], start: int) -> bool:
    """True when the container the chain just pushed is the target of a ``STORE_SUBSCR`` /
    ``DELETE_SUBSCR`` whatever the index expression (``memo[word, 0] = v`` builds a tuple
    between the two): the worker code fills it itself. Followed by stack depth within
    straight-line code only; anything else: False."""
    depth = 1  # the container, and what is pushed above it
    for ins in ops[start : start + 40]:
        if ins.opname in ("STORE_SUBSCR", "DELETE_SUBSCR"):
            return depth == 2  # the container right under the index
        if "JUMP" in ins.opname or ins.opname.startswith(("RETURN", "RAISE", "FOR_ITER")):
            return False
        try:
            effect = dis.stack_effect(
                ins.opcode, ins.arg if ins.opcode >= dis.HAVE_ARGUMENT else None, jump=False
            )
        except (ValueError, TypeError):
            return False
        pops = ins.arg if ins.opname == "BUILD_TUPLE" else _POPS.get(ins.opname)
        if pops is None or depth - pops < 1:
            return False  # the container is consumed by something else
        depth += effect
    return False


# How many stack items an instruction reads before it pushes (only those an index
# expression uses; anything else ends the search).
_POPS = {
    "LOAD_FAST": 0,
    "LOAD_FAST_CHECK": 0,
    "LOAD_FAST_AND_CLEAR": 0,
    "LOAD_CONST": 0,
    "LOAD_GLOBAL": 0,
    "LOAD_DEREF": 0,
    "LOAD_NAME": 0,
    "LOAD_ATTR": 1,
    "BINARY_OP": 2,
}


def attribute_chains(entry: WorkerFunction) -> Iterator[Chain]:
    """(root kind, root name, attributes, written?, line) for each global, closure or
    ``self`` attribute chain the function's code reads (``mod.A.b`` -> 'mod', ['A', 'b']).

    The root kinds: ``global`` (a name of the function's globals), ``closure`` (a free
    variable of the function: ``closure_value`` gives what it holds) and ``self`` (the
    method's instance, ``entry.instance``). Code nested in the function (a comprehension
    before Python 3.12, an inner lambda) reads ``self`` and the closure through cells: the
    same roots, unless the nested code binds the name itself. A local assigned once from a
    chain (``s = jobsettings.Settings``) reads through it."""
    fn = entry.function
    top: dict[str, str] = {n: "closure" for n in fn.__code__.co_freevars}
    if entry.self_name is not None:
        top[entry.self_name] = "self"
    codes: list[tuple[types.CodeType, dict[str, str]]] = [(fn.__code__, top)]
    while codes:
        code, scope = codes.pop()
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                codes.append((const, {n: scope[n] for n in const.co_freevars if n in scope}))
        ops = [i for i in dis.get_instructions(code) if i.opname not in _NOISE]
        stores = collections.Counter(i.argval for i in ops if i.opname == "STORE_FAST")
        aliases: dict[str, tuple[str, str, list[str]]] = {}
        line = code.co_firstlineno
        for i, ins in enumerate(ops):
            line = instruction_line(ins, line)
            prefix: list[str] = []
            if ins.opname == "LOAD_GLOBAL" and isinstance(ins.argval, str):
                root = ("global", ins.argval)
            elif ins.opname.startswith("LOAD_FAST") and ins.argval in aliases:
                kind, name, prefix = aliases[ins.argval]
                root = (kind, name)
            elif ins.opname == "LOAD_DEREF" and ins.argval in scope:
                root = (scope[ins.argval], ins.argval)
            elif (
                ins.opname.startswith("LOAD_FAST")
                and code is fn.__code__
                and scope.get(ins.argval) == "self"
            ):
                root = ("self", ins.argval)
            else:
                continue
            chain: list[str] = list(prefix)
            j = i + 1
            while j < len(ops) and ops[j].opname in ("LOAD_ATTR", "LOAD_METHOD"):
                chain.append(str(ops[j].argval))
                j += 1
            following = ops[j].opname if j < len(ops) else ""
            if following == "STORE_FAST" and root[0] != "self" and stores[ops[j].argval] == 1:
                aliases[ops[j].argval] = (root[0], root[1], list(chain))
            written = following in ("STORE_ATTR", "DELETE_ATTR") or _subscript_written(ops, j)
            if following in ("STORE_ATTR", "DELETE_ATTR"):
                chain.append(str(ops[j].argval))
            if root[0] == "self" and not chain:
                continue
            yield root[0], root[1], chain, written, line


def held_object(entry: WorkerFunction, kind: str, name: str) -> Any:
    """The object a ``self`` or ``closure`` root of ``attribute_chains`` stands for."""
    if kind == "self":
        return entry.instance
    if kind == "closure":
        return closure_value(entry.function, name)
    return MISSING


def _called(entry: WorkerFunction) -> Iterator[WorkerFunction]:
    """What ``entry`` calls that is the user's: global functions, and methods of the
    objects it holds (``self.<method>``, a method of an object in its closure)."""
    g = entry.function.__globals__
    for kind, name, chain, written, _ in attribute_chains(entry):
        if kind == "global":
            value = g.get(name)
            if is_user_function(value):
                yield WorkerFunction(value)
            continue
        obj = held_object(entry, kind, name)
        if written or not chain or obj is MISSING or isinstance(obj, type | types.ModuleType):
            continue
        if isinstance(obj, types.FunctionType | types.MethodType):
            continue
        method = getattr(type(obj), chain[0], None)
        if is_user_function(method):
            yield WorkerFunction(method, obj)


def worker_functions(obj: Any) -> list[WorkerFunction]:
    """The user functions a payload object runs on the worker, each once, entry points first."""
    out: list[WorkerFunction] = []
    seen: set[tuple[int, int]] = set()
    stack = [e for e in _entries(obj) if is_user_function(e.function)][::-1]
    while stack and len(out) < MAX_FUNCTIONS:
        entry = stack.pop()
        key = (id(entry.function), id(entry.instance))
        if key in seen:
            continue
        seen.add(key)
        out.append(entry)
        stack.extend(list(_called(entry))[::-1])
    return out


@dataclass(frozen=True)
class PayloadCode:
    """One payload the worker runs and its ``worker_functions``: found once per pipeline
    (``payload_code``) and handed to every detector that judges worker code."""

    payload: Any
    functions: list[WorkerFunction]


def payload_code(payloads: Iterable[Any]) -> list[PayloadCode]:
    """The worker code of each payload that runs on workers, once per object (a duplicate
    payload is the same object again). A user object that breaks our reading of it (a hostile
    ``__getattr__``, an odd descriptor) has none, rather than stopping the check."""
    out: list[PayloadCode] = []
    for payload in payloads:
        if payload.duplicate_of is not None or payload.kind not in RUN_ON_WORKERS:
            continue
        try:
            out.append(PayloadCode(payload, worker_functions(payload.obj)))
        except Exception:  # noqa: BLE001 - user objects raise anything
            continue
    return out


__all__ = [
    "MISSING",
    "RUN_ON_WORKERS",
    "WORKER_METHODS",
    "PayloadCode",
    "WorkerFunction",
    "attribute_chains",
    "closure_value",
    "free_value",
    "held_object",
    "is_user_function",
    "payload_code",
    "worker_functions",
]


def classes_on_workers(payloads: Iterable[Any]) -> set[str]:
    """The names of the classes that code running on workers reads by name, or whose
    instances the payloads hold. Why: only their members can be read there, so a member the
    worker's copy of another class lost (BD312) is not what ``x.total`` reads."""
    from beam_deps.pickling.walk import reached_classes

    names: set[str] = set()
    for payload in payloads:
        if payload.duplicate_of is not None or payload.obj is None:
            continue
        try:
            names.update(c.__name__ for c in reached_classes(payload.obj))
        except Exception:  # noqa: BLE001 - a hostile user object: nothing to add
            continue
    return names
