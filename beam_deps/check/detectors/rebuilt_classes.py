"""Worker code reads what a class of the script inherits, and dill drops it (BD307).

dill 0.3.6+ pickles a class of ``__main__`` by value and rebuilds it from
``__orig_bases__`` when the class has one, even one it only inherits: a subclass of the
Generic ``beam.PTransform`` comes back with PTransform's own bases, without PTransform and
without the script's base classes (with or without the main session: the session holds the
same rebuilt class). That alone is harmless (most composites only carry ``self`` in a
closure and read their own attributes), so we report only a read, by code that runs on the
worker, of a name the rebuilt class has lost. Two questions, each answered without guessing:

* what the worker's class lacks: the class pickled with Beam's pickler and loaded back here
  (``lost_names``), compared name by name with the real one;
* which code runs on the worker and what it reads on the object: the payloads' worker code
  (``worker_code.worker_functions``: a bound method ``self.words`` given to a transform, a
  closure over ``self`` made in ``expand()``, and the methods they call on it) read by
  ``worker_code.attribute_chains``. A method only called while the pipeline is built
  (``self.name("Read")`` in ``expand()``) is in no payload; a name on the instance itself
  travels with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors.worker_code import (
    PayloadCode,
    WorkerFunction,
    attribute_chains,
    held_object,
)
from beam_deps.diagnostics import Diagnostic


def rebuilt_class_diagnostics(code: Iterable[PayloadCode], library: str) -> list[Diagnostic]:
    """BD307 for each read, by worker code, of a name its object's class loses on the worker.

    Call inside ``run()``, once the payloads are collected."""
    if library == "cloudpickle":
        return []
    out: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    classes: dict[type, tuple[frozenset[str], tuple[type, ...]]] = {}
    for c in code:
        try:
            found = list(_lost_reads(c.functions, library, classes))
        except Exception:  # noqa: BLE001 - a hostile user object: no finding, no crash
            continue
        for fn, obj, name, attribute, line, rebuilt_bases in found:
            cls = type(obj)
            if (fn.__qualname__, attribute) in seen:
                continue
            seen.add((fn.__qualname__, attribute))
            bases = [b.__name__ for b in rebuilt_bases]
            gone = [
                c.__name__
                for c in cls.__mro__[1:]
                if c not in rebuilt_bases and c is not object and c.__name__ not in bases
            ]
            owner = next(c for c in cls.__mro__ if attribute in vars(c))
            out.append(
                diagnostic(
                    "BD307",
                    f"{library} (dill {_dill_version()}) rebuilds {cls.__name__} on the worker "
                    f"from the __orig_bases__ it inherits ({', '.join(bases)}), without "
                    f"{' and '.join(gone)}; {fn.__qualname__} runs there and reads "
                    f"{name}.{attribute}, which {cls.__name__} inherits from "
                    f"{owner.__name__}: \"AttributeError: '{cls.__name__}' object has no "
                    f"attribute '{attribute}'\"",
                    path=f"{cls.__name__}.{attribute}",
                    file=fn.__code__.co_filename,
                    line=line,
                    transform=cls.__name__,
                    cls=cls.__name__,
                    attribute=attribute,
                    inherited_from=f"{owner.__module__}.{owner.__qualname__}",
                )
            )
    return out


def _lost_reads(
    functions: list[WorkerFunction],
    library: str,
    classes: dict[type, tuple[frozenset[str], tuple[type, ...]]],
) -> Iterator[tuple[Any, Any, str, str, int | None, tuple[type, ...]]]:
    """(function, object, the name the code calls it, attribute, line, the rebuilt class's
    bases) for each read of a lost name; ``classes`` keeps ``lost_names`` per class."""
    for entry in functions:
        for kind, name, chain, written, line in attribute_chains(entry):
            if kind == "global" or not chain or (written and len(chain) == 1):
                continue
            held = held_object(entry, kind, name)
            cls = type(held)
            if cls.__module__ != "__main__" or "__orig_bases__" in vars(cls):
                continue  # dill rebuilds it from its own __bases__ or __orig_bases__
            if not hasattr(cls, "__orig_bases__") or chain[0] in getattr(held, "__dict__", {}):
                continue  # no inherited __orig_bases__; or the instance's own: it travels
            if cls not in classes:
                classes[cls] = lost_names(cls, library)
            lost, rebuilt_bases = classes[cls]
            if chain[0] in lost:
                yield entry.function, held, name, chain[0], line, rebuilt_bases


def lost_names(cls: type, library: str) -> tuple[frozenset[str], tuple[type, ...]]:
    """(names ``cls`` has and the worker's rebuilt class has not, the rebuilt class's bases).

    Dunders are left out (``__init__`` and friends never run on a worker); so are plain data
    attributes of a class outside the script (``PTransform.pipeline``), which Beam may set on
    the instance itself, where they travel with it."""
    from beam_deps.pickling import dumps, loads

    try:
        rebuilt = loads(dumps(cls, library), library)
    except Exception:  # noqa: BLE001 - not picklable: other codes say so
        return frozenset(), ()
    if rebuilt is cls or not isinstance(rebuilt, type):
        return frozenset(), ()
    have = {n for c in rebuilt.__mro__ for n in vars(c)}
    lost = set()
    for c in cls.__mro__:
        for name, value in vars(c).items():
            if name in have or (name.startswith("__") and name.endswith("__")):
                continue
            if c.__module__ == "__main__" or hasattr(type(value), "__get__"):
                lost.add(name)
    return frozenset(lost), rebuilt.__bases__


def _dill_version() -> str | None:
    from beam_deps.pickling import dill_version

    return dill_version()


__all__ = ["lost_names", "rebuilt_class_diagnostics"]
