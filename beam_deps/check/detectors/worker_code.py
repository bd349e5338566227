"""Which of the user's functions a payload runs on the worker, and the object each runs with.

Detectors that judge what code *does on a worker* (opening a local file, reading module state
set at launch) must not look at code that runs only while the pipeline is built: a DoFn's
``__init__`` runs on the submitting machine, its ``setup()``/``process()`` on the worker. So
we start from the entry points Beam calls on the worker (the DoFn, CombineFn and source
methods, the function of a ``Map``) and follow what they call: ``self.helper()`` on the same
object and global functions of the user's files. Only the user's files are followed
(``pickling.locations.is_user_file``): a library's own code is the library's business.
"""

from __future__ import annotations

import dis
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from beam_deps.pickling.locations import is_user_file

# What Beam calls on the worker (DoFn, CombineFn, sources, sinks' writers), never at build.
WORKER_METHODS = (
    "setup",
    "start_bundle",
    "process",
    "process_batch",
    "finish_bundle",
    "teardown",
    "__setstate__",
    "create_accumulator",
    "add_input",
    "add_inputs",
    "merge_accumulators",
    "compact",
    "extract_output",
    "read",
    "split",
    "get_range_tracker",
    "estimate_size",
    "__call__",
)
MAX_FUNCTIONS = 200


@dataclass(frozen=True)
class WorkerFunction:
    """A user function the worker runs; ``instance`` is the object it is a method of."""

    function: types.FunctionType
    instance: Any = None

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
    """The worker entry points of one pickled payload object."""
    from apache_beam.transforms.core import CallableWrapperCombineFn, CallableWrapperDoFn

    from beam_deps.pipeline.payloads import unwrap_callable

    if isinstance(obj, tuple) and obj and not isinstance(obj[0], type):
        obj = obj[0]  # a ParDo payload: (fn, args, kwargs, side inputs, windowing)
    if isinstance(obj, CallableWrapperDoFn | CallableWrapperCombineFn):
        obj = unwrap_callable(obj._fn)
    yield from _callable_entries(obj)


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


def _called(entry: WorkerFunction) -> Iterator[WorkerFunction]:
    """What ``entry`` calls that is the user's: global functions and ``self.<method>``."""
    fn = entry.function
    g = fn.__globals__
    self_name = entry.self_name
    stack = [fn.__code__]
    while stack:
        code = stack.pop()
        stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
        previous: dis.Instruction | None = None
        for ins in dis.get_instructions(code):
            if ins.opname in ("CACHE", "PRECALL", "PUSH_NULL", "EXTENDED_ARG", "NOP"):
                continue
            if ins.opname == "LOAD_GLOBAL" and isinstance(ins.argval, str):
                value = g.get(ins.argval)
                if is_user_function(value):
                    yield WorkerFunction(value)
            elif (
                ins.opname in ("LOAD_ATTR", "LOAD_METHOD")
                and previous is not None
                and previous.opname == "LOAD_FAST"
                and self_name is not None
                and previous.argval == self_name
                and code is fn.__code__
            ):
                method = getattr(type(entry.instance), str(ins.argval), None)
                if is_user_function(method):
                    yield WorkerFunction(method, entry.instance)
            previous = ins


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


__all__ = ["WORKER_METHODS", "WorkerFunction", "is_user_function", "worker_functions"]
