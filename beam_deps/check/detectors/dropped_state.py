"""Worker code reads an attribute the object's own ``__getstate__`` leaves out (BD115).

A common way to keep a client out of the pickle is ``__getstate__`` returning the instance's
``__dict__`` without it (``state.pop("session")``). Without a ``__setstate__`` (or a
``setup()``) that makes it again, the worker's copy has no such attribute, and the first
``self.session.get(...)`` fails: "AttributeError: 'Enricher' object has no attribute
'session'", on every pickler.

Decided from the objects, nothing guessed: the state is what the class's own
``__getstate__`` returns for the very object in the payload (Beam called it a moment ago
to pickle it); the reads and writes are those of the code that runs on the worker
(``worker_code.worker_functions`` and ``attribute_chains``). Left alone: a class that
restores its state itself (a ``__setstate__``, ``__reduce__`` or ``__getattr__`` of the
user's), an attribute the class also defines (the worker then reads the class's), and one
that code running on the worker sets (``if not hasattr(self, "session"): self.session =
...``, or in ``setup()``), and every attribute of an object whose worker code sets or reads
attributes by name (``setattr``, ``vars(self)``, ``self.__dict__``, ``getattr(self, n,
None)``, ``except AttributeError``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors.worker_code import PayloadCode, WorkerFunction, attribute_chains
from beam_deps.diagnostics import Diagnostic
from beam_deps.pickling.bytecode import code_objects
from beam_deps.pickling.locations import is_user_class

_RESTORERS = ("__setstate__", "__reduce__", "__reduce_ex__", "__getattr__", "__getattribute__")


def dropped_state_diagnostics(code: Iterable[PayloadCode]) -> list[Diagnostic]:
    """BD115 for each attribute worker code reads that the object's ``__getstate__`` drops
    and no worker code sets again. Call inside ``run()``, once the payloads are collected."""
    out: list[Diagnostic] = []
    seen: set[tuple[int, str]] = set()
    for c in code:
        try:
            found = _dropped_reads(c.functions)
        except Exception:  # noqa: BLE001 - a hostile user object: no finding, no crash
            continue
        for instance, attribute, entry, line in found:
            if (id(instance), attribute) in seen:
                continue
            seen.add((id(instance), attribute))
            name = type(instance).__name__
            out.append(
                diagnostic(
                    "BD115",
                    f"{name}.__getstate__ leaves out {attribute!r}, and "
                    f"{entry.function.__qualname__} reads self.{attribute} on the worker, "
                    f"where no code sets it again: \"AttributeError: '{name}' object has no "
                    f"attribute '{attribute}'\"",
                    path=f"{name}.{attribute}",
                    file=entry.function.__code__.co_filename,
                    line=line,
                    transform=name,
                    attribute=attribute,
                )
            )
    return out


def _dropped_reads(
    entries: list[WorkerFunction],
) -> list[tuple[Any, str, WorkerFunction, int | None]]:
    """(instance, attribute, the function reading it, line) for the reads of dropped
    attributes, once every worker function's writes are known."""
    reads: list[tuple[Any, str, WorkerFunction, int | None]] = []
    written: set[tuple[int, str]] = set()
    dropped: dict[int, set[str]] = {}
    indirect: set[int] = set()
    for entry in entries:
        instance = entry.instance
        if instance is None:
            continue
        if id(instance) not in dropped:
            dropped[id(instance)] = _dropped(instance)
        if _sets_by_name(entry.function.__code__):
            indirect.add(id(instance))  # it may set anything: nothing is claimed
        for kind, _, chain, is_written, line in attribute_chains(entry):
            if kind != "self" or not chain:
                continue
            if is_written and len(chain) == 1:
                written.add((id(instance), chain[0]))
            elif chain[0] in dropped[id(instance)]:
                reads.append((instance, chain[0], entry, line))
    return [r for r in reads if (id(r[0]), r[1]) not in written and id(r[0]) not in indirect]


# Ways code sets an attribute without ``self.x = ...``, or reads it without failing.
_INDIRECT = frozenset(
    {"setattr", "__dict__", "vars", "__setattr__", "AttributeError", "hasattr", "getattr"}
)


def _sets_by_name(code: Any) -> bool:
    """The code may set an attribute indirectly (``setattr(self, name, v)``,
    ``vars(self).update(...)``, ``self.__dict__[k] = v``) or read one that may be missing
    (``getattr(self, "db", None)``, ``except AttributeError``)."""
    return any(_INDIRECT & set(c.co_names) for c in code_objects(code))


def _dropped(instance: Any) -> set[str]:
    """The instance attributes its class's own ``__getstate__`` leaves out of the state the
    worker gets back as the new object's ``__dict__``; none where the class restores state
    itself or the state is not a plain dict."""
    cls = type(instance)
    own = [k for k in cls.__mro__ if is_user_class(k)]
    if not any("__getstate__" in vars(k) for k in own):
        return set()
    if any(name in vars(k) for k in own for name in _RESTORERS):
        return set()
    state = instance.__getstate__()
    attributes = getattr(instance, "__dict__", None)
    if not isinstance(state, dict) or not isinstance(attributes, dict):
        return set()
    on_class = {n for k in cls.__mro__ for n in vars(k)}
    return {n for n in attributes if n not in state and n not in on_class}


__all__ = ["dropped_state_diagnostics"]
