"""The worker rebuilds an object of the user's with a recipe its class inherits (BD117).

Pickle rebuilds an object the way its class says: ``__reduce__`` (or ``__reduce_ex__``,
``__getnewargs__``, ``__getstate__``) returns the callable to call and its arguments. A
library class that writes its own recipe writes it for its *own* constructor: Beam's
``ApproximateQuantilesCombineFn.__reduce__`` returns ``(self.__class__, (num_quantiles,
buffer_size, num_buffers, ...))``. A subclass of the user's with another ``__init__``
inherits that recipe, so the worker calls the subclass with the base's arguments in the
base's order: no error, just other values in the subclass's own attributes (a metric key
that is now ``101``, a quantile index that is now ``True``) and silently wrong results
(apache/beam#26716). Beam pickles user code when a step is built and again for the runner,
so every runner, the DirectRunner too, sees it.

Decided by doing it, never guessed from names: the object the worker code runs with is
pickled and loaded back here with the pipeline's pickler (the recipe does not depend on
where it runs), and the attributes the user's classes set and the worker code reads are
compared with the object in the pipeline. Only classes that take their recipe from a
library class are tried: a class of the user's that writes its own recipe (or inherits none)
meant what it wrote, and ``__getstate__`` leaving state out on purpose is BD115's.
"""

from __future__ import annotations

import dis
from collections.abc import Iterable
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors.known_shapes import shown
from beam_deps.check.detectors.worker_code import PayloadCode, attribute_chains
from beam_deps.diagnostics import Diagnostic
from beam_deps.pickling import dumps, loads
from beam_deps.pickling.bytecode import code_objects
from beam_deps.pickling.locations import is_user_class, location

# What decides how pickle rebuilds an object (object's own defaults aside).
RECIPES = (
    "__reduce__",
    "__reduce_ex__",
    "__getnewargs__",
    "__getnewargs_ex__",
    "__getstate__",
    "__setstate__",
)
_SIMPLE = (type(None), bool, int, float, complex, str, bytes)


def inherited_reducer_diagnostics(code: Iterable[PayloadCode], library: str) -> list[Diagnostic]:
    """BD117 for each object the worker code runs with whose class takes its pickling recipe
    from a library class and whose copy on the worker has other values in attributes the
    worker code reads. Call inside ``run()``, once the payloads are collected."""
    out: list[Diagnostic] = []
    seen: set[int] = set()
    for c in code:
        reads: dict[int, tuple[Any, dict[str, int | None]]] = {}
        for entry in c.functions:
            instance = entry.instance
            if instance is None or id(instance) in seen:
                continue
            try:
                names = {
                    chain[0]: line
                    for kind, _, chain, written, line in attribute_chains(entry)
                    if kind == "self" and chain and not written
                }
            except Exception:  # noqa: BLE001 - code we cannot read: nothing claimed
                continue
            held = reads.setdefault(id(instance), (instance, {}))[1]
            for name, line in names.items():
                held.setdefault(name, line)
        for key, (instance, read) in reads.items():
            seen.add(key)
            try:
                found = _changed(instance, read, library)
            except Exception:  # noqa: BLE001 - a hostile user object: no finding, no crash
                continue
            if found is not None:
                out.append(found)
    return out


def _changed(instance: Any, read: dict[str, int | None], library: str) -> Diagnostic | None:
    cls = type(instance)
    owner = _recipe_owner(cls)
    if owner is None:
        return None
    own = _set_by_users(cls)
    watched = [n for n in read if n in own and n in vars(instance)]
    if not watched:
        return None
    try:
        copy = loads(dumps(instance, library), library)
    except Exception:  # noqa: BLE001 - it does not load at all: the simulated worker says so
        return None
    after = getattr(copy, "__dict__", None)
    if not isinstance(after, dict):
        return None
    changes = []
    for name in watched:
        before = vars(instance)[name]
        if not _simple(before):
            continue
        if name not in after:
            changes.append(f"{name} is missing (here {before!r})")
        elif not _same(after[name], before):
            changes.append(f"{name} is {shown(after[name])} (here {shown(before)})")
    if not changes:
        return None
    first = next(n for n in watched if any(c.startswith(f"{n} ") for c in changes))
    recipe = next(r for r in RECIPES if r in vars(owner))
    return diagnostic(
        "BD117",
        f"{cls.__name__} inherits {recipe} from {owner.__module__}.{owner.__qualname__}, "
        f"which rebuilds it with {owner.__name__}'s own arguments, so the worker's copy is not "
        f"the object you built (Beam pickles it more than once, so they change again): after "
        f"one round trip {'; '.join(changes)}. Nothing fails; the worker code reads these "
        f"values and the results are silently wrong",
        path=f"{cls.__name__}.{first}",
        file=location(cls)[0],
        line=read[first],
        transform=cls.__name__,
        cls=cls.__name__,
        attribute=first,
        inherited_from=f"{owner.__module__}.{owner.__qualname__}",
    )


def _recipe_owner(cls: type) -> type | None:
    """The library class ``cls`` takes its pickling recipe from, or None when a class of the
    user's writes one itself (it meant what it wrote) or none but ``object`` has one."""
    for k in cls.__mro__:
        if k is object:
            return None
        if any(r in vars(k) for r in RECIPES):
            return None if is_user_class(k) else k
    return None


def _set_by_users(cls: type) -> set[str]:
    """The attribute names the methods of the user's classes in ``cls``'s MRO assign
    (``self.x = ...``): the user's state, not the library's."""
    names: set[str] = set()
    for k in cls.__mro__:
        if not is_user_class(k):
            continue
        for value in vars(k).values():
            code = getattr(value, "__code__", None)
            if code is None:
                continue
            for c in code_objects(code):
                names.update(i.argval for i in dis.get_instructions(c) if i.opname == "STORE_ATTR")
    return names


def _simple(value: Any, depth: int = 0) -> bool:
    """A value compared by ``==`` with confidence: scalars and small containers of them."""
    if isinstance(value, _SIMPLE):
        return True
    if depth < 2 and isinstance(value, tuple | list | frozenset | set) and len(value) <= 100:
        return all(_simple(v, depth + 1) for v in value)
    if depth < 2 and isinstance(value, dict) and len(value) <= 100:
        return all(_simple(k, depth + 1) and _simple(v, depth + 1) for k, v in value.items())
    return False


def _same(after: Any, before: Any) -> bool:
    """Equal values of the same type; a NaN (alone or inside a container) equals a NaN,
    which ``==`` never says."""
    return type(after) is type(before) and (after == before or repr(after) == repr(before))


__all__ = ["inherited_reducer_diagnostics"]
