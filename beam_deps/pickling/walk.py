"""Which user functions and classes an object carries, and which of them run on a worker.

Standard library only, on purpose: the simulated worker loads this file (and
``bytecode.py``) by path before it locks its imports down, so it must not import beam-deps,
which a worker does not have. The submitting side uses it too (module-level state).

A function "belongs to the user" when it was pickled by value: defined in ``__main__``, or
rebuilt from a payload with globals that are not its module's ``__dict__``. Functions
imported by reference run against their own module's globals and are not our business.
"""

from __future__ import annotations

import dis
import sys
import types
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

if "_beam_deps_probe_bytecode" in sys.modules:  # the simulated worker loaded it by path
    from _beam_deps_probe_bytecode import (  # type: ignore[import-not-found]
        code_objects,
        global_names,
        names_only_read,
        names_used,
        super_names,
    )
else:
    from beam_deps.pickling.bytecode import (
        code_objects,
        global_names,
        names_only_read,
        names_used,
        super_names,
    )

MAX_OBJECTS = 20_000
# Methods whose failure does not fail a job: ``__init__`` runs while the pipeline is built,
# and Beam logs an exception of ``teardown`` (best effort) and goes on.
NOT_FAILING_JOBS = frozenset({"__init__", "teardown"})
_ATOMIC = (str, bytes, bytearray, int, float, complex, bool, type(None), range, slice)


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
    instance attributes, containers), each once; bounded by ``limit`` visited objects.

    Methods of a ``PTransform`` subclass are construction-time code: Beam calls ``expand``,
    ``__init__``, ``default_label``... while the pipeline is built, never on a worker. A
    closure made in ``expand()`` that captures ``self`` carries the transform's class along,
    but only the methods run-time code calls by name (``self.helper(x)``) are the worker's
    business; the rest are left out until some reached function names them."""
    return _reachable_functions(root, limit, is_user_function, _is_user_class)


class Reached(NamedTuple):
    """What one walk of a payload reaches: the user functions (as ``user_functions``) and
    every class met on the way (as ``reached_classes``), in the order reached; and the
    walk's edges (each visited object's id -> the object and what it leads to, a
    function's globals apart), from ``roots`` (the payload, and the PTransform methods
    woken by a name: see ``user_functions``), for ``construction_only``."""

    functions: list[types.FunctionType]
    classes: list[type]
    edges: dict[int, tuple[Any, list[Any], list[Any]]]
    roots: list[Any]


def reach(root: Any, limit: int = MAX_OBJECTS) -> Reached:
    """``user_functions`` and ``reached_classes`` of ``root`` from one walk. Why: the
    simulated worker needs both for every payload, and a walk costs tens of milliseconds at
    the object budget."""
    classes: list[type] = []
    edges: dict[int, tuple[Any, list[Any], list[Any]]] = {}
    roots: list[Any] = [root]
    functions = list(
        _reachable_functions(
            root, limit, is_user_function, _is_user_class, classes=classes, edges=(edges, roots)
        )
    )
    return Reached(functions, classes, edges, roots)


def construction_only(reached: Reached) -> set[types.FunctionType]:
    """Those of ``reached.functions`` that run only while the pipeline is built: the
    ``__init__`` and the classmethods and staticmethods of the reached user classes, unless
    code that runs on the worker names them (``ScaleFn.from_text(...)``, ``Parser(...)`` or
    ``self.__class__(...)`` in ``process``), and what only they reach (a helper of the
    script that only ``__init__`` calls, and its imports).

    Why: Beam pickles a DoFn after ``__init__`` ran; the worker unpickles its state and
    never calls ``__init__`` (nor a factory classmethod that built it) again. Under dill a
    script global such code reads is undefined on the worker, yet nothing fails: the most
    common DoFn (``self.factor = factor or DEFAULT``) must not get BD201. Plain methods stay
    worker code whatever their name: Beam calls many (timers, restriction providers) by
    names of the user's choosing.

    Decided on the walk's edges: from the payload, through what objects hold, and through
    a function's globals only from a function the worker runs."""
    candidates = _construction_candidates(reached.classes)
    if not candidates:
        return set()
    edges = reached.edges
    worker: set[int] = set()
    named: set[str] = set()
    waiting: dict[int, Any] = {}  # candidates reached, not yet named by worker code
    queue = list(reached.roots)
    while True:
        while queue:
            obj = queue.pop()
            if id(obj) in worker:
                continue
            if isinstance(obj, types.FunctionType) and obj in candidates:
                name, cls, builds = candidates[obj]
                wakes = {name, "__class__"} | ({cls.__name__} if name == "__init__" else set())
                if not wakes & named:
                    waiting[id(obj)] = obj
                    continue
                if builds:
                    named.add(cls.__name__)
            worker.add(id(obj))
            entry = edges.get(id(obj))
            if entry is None:
                continue
            _, held, by_name = entry
            queue.extend(held)
            if isinstance(obj, types.FunctionType) and is_user_function(obj):
                named.update(names_used(obj.__code__) - names_only_read(obj.__code__))
                queue.extend(by_name)
        woken = [o for o in waiting.values() if _wakes(candidates[o], named)]
        if not woken:
            break
        for obj in woken:
            del waiting[id(obj)]
        queue.extend(woken)
    return {f for f in reached.functions if id(f) not in worker}


def _wakes(candidate: tuple[str, type, bool], named: set[str]) -> bool:
    name, cls, _ = candidate
    return bool(({name, "__class__"} | ({cls.__name__} if name == "__init__" else set())) & named)


def _construction_candidates(
    classes: list[type],
) -> dict[types.FunctionType, tuple[str, type, bool]]:
    """function -> (its name, its class, whether it may build ``cls(...)``: a classmethod)
    for the ``__init__``, classmethods and staticmethods of the user classes among
    ``classes``."""
    candidates: dict[types.FunctionType, tuple[str, type, bool]] = {}
    for cls in classes:
        try:
            if not _is_user_class(cls):
                continue
            members = list(vars(cls).items())
        except Exception:  # noqa: BLE001 - hostile classes
            continue
        for name, value in members:
            builds = isinstance(value, classmethod)
            if isinstance(value, classmethod | staticmethod):
                value = value.__func__
            elif name != "__init__":
                continue
            if isinstance(value, types.FunctionType):
                candidates[value] = (name, cls, builds)
    return candidates


def _reachable_functions(
    root: Any,
    limit: int,
    function_counts: Any,
    class_counts: Any,
    stats: dict[str, bool] | None = None,
    classes: list[type] | None = None,
    edges: tuple[dict[int, tuple[Any, list[Any], list[Any]]], list[Any]] | None = None,
) -> Iterator[types.FunctionType]:
    seen: set[int] = set()
    stack = [root]
    budget = limit
    deferred: dict[str, list[Any]] = {}  # PTransform methods, by name, until one is called
    named: set[str] = set()  # every name (attribute, global, constant) reached code uses
    while budget:
        if not stack:
            woken = [n for n in deferred if n in named]
            if not woken:
                break
            for name in woken:
                stack.extend(deferred.pop(name))
                if edges is not None:
                    edges[1].extend(stack)
            continue
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _ATOMIC) or isinstance(obj, types.ModuleType):
            continue
        seen.add(id(obj))
        budget -= 1
        if _is_placeholder(obj):
            continue
        if classes is not None and isinstance(obj, type):
            classes.append(obj)
        try:
            if isinstance(obj, type) and class_counts(obj) and _is_ptransform(obj):
                children = list(_ptransform_class_children(obj, deferred))
            else:
                children = list(_children(obj, function_counts, class_counts))
        except Exception:  # noqa: BLE001 - hostile objects
            children = []
        if edges is not None:
            edges[0][id(obj)] = (obj, *_split_globals(obj, children, function_counts))
        if isinstance(obj, types.FunctionType) and function_counts(obj):
            named.update(names_used(obj.__code__))
            yield obj
        stack.extend(children)
    if stats is not None:
        stats["exhausted"] = not budget


def _split_globals(obj: Any, children: list[Any], function_counts: Any) -> tuple[list, list]:
    """(what ``obj`` holds, what a function reaches through its globals only): a function
    named in code runs only when that code runs."""
    if not isinstance(obj, types.FunctionType) or not function_counts(obj):
        return children, []
    g = obj.__globals__
    named = {id(g[n]) for n in global_names(obj.__code__) if n in g}
    held = {id(c) for c in (*_cells(obj), *(obj.__defaults__ or ()))}
    by_name = [c for c in children if id(c) in named and id(c) not in held]
    taken = {id(c) for c in by_name}
    return [c for c in children if id(c) not in taken], by_name


def _cells(fn: types.FunctionType) -> Iterator[Any]:
    for cell in fn.__closure__ or ():
        try:
            yield cell.cell_contents
        except ValueError:
            pass


# Beam pickles these as placeholders (a PCollection) or a stub string (a Pipeline): what
# they hold never reaches a worker. (Never true on a worker, where neither is unpickled.)
_PLACEHOLDERS = (("apache_beam.pvalue", "PValue"), ("apache_beam.pipeline", "Pipeline"))


def _is_placeholder(obj: Any) -> bool:
    return not isinstance(obj, type) and any(
        (c.__module__, c.__name__) in _PLACEHOLDERS for c in type(obj).__mro__
    )


# Called by Beam (or by ``|``) while the pipeline is built; never run on a worker.
_CONSTRUCTION_DUNDERS = frozenset({"__init__", "__or__", "__ror__", "__rrshift__"})


def _is_ptransform(cls: type) -> bool:
    if any(
        c.__name__ == "PTransform" and c.__module__ == "apache_beam.transforms.ptransform"
        for c in getattr(cls, "__mro__", ())
    ):
        return True
    # dill >= 0.3.6 rebuilds a class that has ``__orig_bases__`` (inherited from the
    # Generic PTransform) from those: a PTransform subclass of the script arrives on the
    # worker with PTransform's own bases in place of PTransform.
    beam = sys.modules.get("apache_beam.transforms.ptransform")
    orig = getattr(getattr(beam, "PTransform", None), "__orig_bases__", None)
    try:
        return orig is not None and vars(cls).get("__orig_bases__") == orig
    except TypeError:
        return False


def _ptransform_api(cls: type) -> set[str]:
    """The names Beam's PTransform (and its bases) define: its construction-time API."""
    names: set[str] = set()
    beam = getattr(sys.modules.get("apache_beam.transforms.ptransform"), "PTransform", None)
    for c in (*cls.__mro__, *getattr(beam, "__mro__", ())):
        if c.__module__.startswith("apache_beam.") or c.__module__ == "typing":
            names.update(n for n in vars(c) if not n.startswith("__"))
    return names | _CONSTRUCTION_DUNDERS


def _ptransform_class_children(cls: type, deferred: dict[str, list[Any]]) -> Iterator[Any]:
    """A user PTransform class: its implicit dunders (``__setstate__``, ``__reduce__``, run
    when a worker unpickles it) count; Beam's construction API never does; any other method
    waits in ``deferred`` until reached code names it."""
    api = _ptransform_api(cls)
    for name, value in cls.__dict__.items():
        if name in api:
            continue
        if name.startswith("__") and name.endswith("__"):
            yield value
        else:
            deferred.setdefault(name, []).append(value)
    yield from cls.__bases__


def attribute_read_at_run_time(root: Any, attribute: str, limit: int = MAX_OBJECTS) -> bool:
    """Whether code that can run on a worker, reachable from ``root``, may read ``attribute``.

    Every non-Beam function counts (the user's, in ``__main__`` or in a module of theirs,
    and a library's), except a PTransform's construction-time methods (see
    ``user_functions``). It "may read" the attribute when its code names it at all
    (``self.factors``, ``getattr(self, 'factors')``), or reaches into ``__dict__``/``vars``:
    so a False is sound for code that reads attributes by their names."""
    stats: dict[str, bool] = {}
    for fn in _reachable_functions(root, limit, _not_beams_function, _not_beams_class, stats):
        names = names_used(fn.__code__)
        if attribute in names or "__dict__" in names or "vars" in names:
            return True
    return stats.get("exhausted", True)  # not all of it seen: it may


def _not_beams_function(fn: types.FunctionType) -> bool:
    module = getattr(fn, "__module__", None)
    return not (isinstance(module, str) and module.startswith("apache_beam."))


def _not_beams_class(cls: type) -> bool:
    module = getattr(cls, "__module__", None)
    return isinstance(module, str) and not module.startswith(("apache_beam.", "builtins"))


def held_only_for_construction(chain: list[tuple[Any, str]]) -> bool:
    """For a pickled-object path ``chain`` ((object, step label) pairs, root first) ending at
    a PCollection held as an attribute of a PTransform (``... closure 'self'.factors``):
    whether no code that runs on a worker reads that attribute. A composite transform keeps
    the PCollections it was given (side inputs, the other branch of a join) for ``expand()``;
    a closure made there that captures ``self`` carries them along, as placeholders nothing
    on the worker touches."""
    held = _held_attribute(chain) if len(chain) >= 3 else None
    if held is None or not _is_ptransform(type(held[0])):
        return False
    return not attribute_read_at_run_time(chain[0][0], held[1])


def _held_attribute(chain: list[tuple[Any, str]]) -> tuple[Any, str] | None:
    """(holder, attribute name) when ``chain`` ends at an attribute (``... .factors``)."""
    if len(chain) < 2:
        return None
    label, holder = chain[-1][1], chain[-2][0]
    if not (label.startswith(".") and label[1:].isidentifier()):
        return None
    return holder, label[1:]


def attribute_reader(chain: list[tuple[Any, str]]) -> str | None:
    """For a pickled-object path ``chain`` ((object, step label) pairs, root first) ending at
    an attribute of a user object (``Enrich.rates`` of a DoFn, ``ScaleBy.factors`` of a
    composite), the qualified name of a function that runs on a worker and loads that
    attribute, if any: a user function reachable from the payload (``user_functions``: a
    transform's construction-time methods left out), other than ``__init__`` and the other
    construction dunders, whose code loads ``<attribute>`` (a store is not a read), unless
    such a function also stores it (made again in ``setup()``: what is read is not what was
    pickled). Unlike
    ``attribute_read_at_run_time`` (may it read it?), a name here is a read the code makes."""
    held = _held_attribute(chain)
    if held is None or not _is_user_class(type(held[0])):
        return None
    attribute = held[1]
    reader = None
    for fn in user_functions(chain[0][0]):
        if fn.__name__ in _CONSTRUCTION_DUNDERS:
            continue
        for code in code_objects(fn.__code__):
            for ins in dis.get_instructions(code):
                if ins.argval != attribute:
                    continue
                if ins.opname == "STORE_ATTR":
                    return None  # set again on the worker (``setup()``): not the pickled one
                if ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and reader is None:
                    reader = fn.__qualname__
    return reader


_VARIABLE_LOADS = {"closure": ("LOAD_DEREF",), "global": ("LOAD_GLOBAL", "LOAD_NAME")}


def variable_reader(chain: list[tuple[Any, str]]) -> str | None:
    """For a path ending at a closure variable or a global of a user function, the
    function's name when it runs on a worker and loads that variable (``e in allowed``)."""
    if len(chain) < 2:
        return None
    kind, _, name = chain[-1][1].strip().partition(" ")
    holder, name = chain[-2][0], name.strip("'")
    if kind not in _VARIABLE_LOADS or not is_user_function(holder) or not name.isidentifier():
        return None
    if holder.__name__ in _CONSTRUCTION_DUNDERS or holder not in user_functions(chain[0][0]):
        return None  # only run while the pipeline is built (a composite's expand())
    for code in code_objects(holder.__code__):
        for ins in dis.get_instructions(code):
            if ins.opname in _VARIABLE_LOADS[kind] and ins.argval == name:
                return holder.__qualname__
    return None


def holder_reader(chain: list[tuple[Any, str]]) -> tuple[str, str] | None:
    """(the worker function that reads it, the attribute) for the outermost attribute of a
    user object on ``chain`` that code running on the worker reads (``AuditFn.handler`` for
    ``AuditFn.handler.lock``), if any."""
    for end in range(2, len(chain) + 1):
        reader = attribute_reader(chain[:end])
        if reader is not None:
            return reader, chain[end - 1][1].lstrip(".")
    return None


def _children(
    obj: Any, function_counts: Any = is_user_function, class_counts: Any = _is_user_class
) -> Iterator[Any]:
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
        if not function_counts(obj):
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
        if class_counts(obj):
            yield from obj.__dict__.values()
            yield from obj.__bases__
        return
    if isinstance(obj, dict):
        yield from obj.values()
        return
    if isinstance(obj, list | tuple | set | frozenset):
        yield from list(obj)[:5000]
        if type(obj) not in (list, tuple, set, frozenset):
            yield type(obj)  # a NamedTuple's class: its methods may run where it is held
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


def super_copies(
    classes: Iterable[type],
) -> Iterator[tuple[types.FunctionType, str, int | None, type]]:
    """(method, name, line, its class) for each ``super(Name, ...)`` in a method of a user
    class among ``classes`` (those a payload reaches, ``reach``) where ``Name``, looked up
    in the method's globals, finds another class of the same name than the one the
    method's class inherits from.

    Why: that is a second copy of the class. dill 0.3.6+ with the main session rebuilds the
    payload's class by value while the session holds its own copy under the name, so
    ``super(CleanUpper, self)`` raises "super(type, obj): obj must be an instance or
    subtype of type" on every call. Only the two-copies case is reported, never a name
    that finds some unrelated class (that is the user's own business)."""
    for cls in classes:
        if not _is_user_class(cls):
            continue
        try:
            mro = cls.__mro__
            members = list(vars(cls).values())
        except Exception:  # noqa: BLE001 - hostile classes
            continue
        for member in members:
            fn = getattr(member, "__func__", member)
            if not isinstance(fn, types.FunctionType) or fn.__name__ in NOT_FAILING_JOBS:
                continue
            for name, line in super_names(fn.__code__):
                found = fn.__globals__.get(name)
                if (
                    isinstance(found, type)
                    and found not in mro
                    and any(_same_name(c, found) for c in mro)
                ):
                    yield fn, name, line, cls


# What Beam calls on the worker (DoFn, CombineFn, sources, sinks' writers), never at build.
WORKER_ENTRIES = (
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


def worker_entry_functions(functions: list[types.FunctionType]) -> list[types.FunctionType]:
    """Those of ``functions`` (a payload's user functions, ``reach``) that run on a
    worker: those that are not methods (a Map's lambda, a function, a closure), the
    methods Beam calls there (``WORKER_ENTRIES``), and the methods those name,
    transitively. Why: a classmethod factory or a helper that only ``__init__`` calls
    runs while the pipeline is built."""

    def is_method(fn: types.FunctionType) -> bool:
        parts = fn.__qualname__.split(".")
        return len(parts) >= 2 and parts[-2] != "<locals>"

    methods: dict[str, list[types.FunctionType]] = {}
    for fn in functions:
        if is_method(fn):
            methods.setdefault(fn.__name__, []).append(fn)
    chosen = [
        f
        for f in functions
        if (not is_method(f) or f.__name__ in WORKER_ENTRIES) and f.__name__ not in NOT_FAILING_JOBS
    ]
    queue, named = list(chosen), set()
    while queue:
        for code in code_objects(queue.pop().__code__):
            for name in set(code.co_names) - named:
                named.add(name)
                for fn in methods.get(name, ()):
                    if fn not in chosen:
                        chosen.append(fn)
                        queue.append(fn)
    return chosen


def reached_classes(root: Any, limit: int = MAX_OBJECTS) -> list[type]:
    """Every class the user functions reachable from ``root`` read by name, and the class
    of every object it holds (user classes or not), in the order reached."""
    return reach(root, limit).classes


def _same_name(a: type, b: type) -> bool:
    return (a.__module__, a.__qualname__) == (getattr(b, "__module__", None), b.__qualname__)


def fields_lost(cls: Any) -> bool:
    """A dataclass whose fields ``dataclasses.fields()`` no longer sees: its ``Field``
    objects carry a copy of the module's ``_FIELD`` marker instead of the marker itself
    (dill before 0.3.5 pickles the marker by value with a class of the script)."""
    import dataclasses

    try:
        table = vars(cls).get("__dataclass_fields__") if isinstance(cls, type) else None
        if not isinstance(table, dict):
            return False
        marker = dataclasses._FIELD  # type: ignore[attr-defined]
        kinds = [getattr(f, "_field_type", None) for f in table.values()]
        return any(k is not marker and repr(k) == repr(marker) for k in kinds)
    except Exception:  # noqa: BLE001 - a hostile class: not claimed
        return False
