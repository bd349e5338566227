"""Per-transform dependency declarations: ``@requires(...)`` and ``requires_base(...)``.

Imports inside a DoFn run only on the worker, and some needs are not imports at all (a
plugin loaded by entry point, a specific version a model was trained with). Declaring them on
the code that needs them keeps the need next to its reason, like Metaflow's ``@conda``. A
Beam worker has ONE environment per pipeline, so declarations are merged, and two that no
single version satisfies are reported (BD409) instead of letting pip pick one silently.

The decorator only records strings on the object: nothing from beam-deps is needed on the
worker to unpickle a decorated DoFn.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from beam_deps.errors import UsageError

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

# `packaging` is imported inside the functions: importing beam_deps must stay cheap (the
# warm `beam-deps stage` path never needs it).

ATTRIBUTE = "__beam_deps_requires__"
_collectors: list[list[Declaration]] = []
_lock = threading.Lock()


@dataclass(frozen=True)
class Declaration:
    requirement: str
    origin: str  # "pipeline" for requires_base, else the decorated object's qualified name
    file: str | None = None  # where the declaration is written (the decorator, the call,
    line: int | None = None  # the requirements file line), when known

    @property
    def described(self) -> str:
        """``requirement (origin, file:line)``: for messages that list several."""
        where = f", {os.path.basename(self.file)}:{self.line}" if self.file and self.line else ""
        return f"{self.requirement} ({self.origin}{where})"


def _caller(depth: int = 2) -> tuple[str | None, int | None]:
    """File and line of the code that called the public function (the ``@requires(...)``
    decorator line, the ``requires_base(...)`` call)."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return None, None
    file = frame.f_code.co_filename
    if not file or file.startswith("<"):
        return None, frame.f_lineno
    return os.path.abspath(file), frame.f_lineno


def _validate(requirements: tuple[str, ...]) -> tuple[str, ...]:
    from packaging.requirements import InvalidRequirement, Requirement

    for line in requirements:
        try:
            Requirement(line)
        except InvalidRequirement as exc:
            raise UsageError(
                f"invalid requirement {line!r} in beam_deps.requires: {exc}; use pip syntax "
                "such as 'pandas==2.2.3'"
            ) from None
    return requirements


def _record(declarations: list[Declaration]) -> None:
    with _lock:
        for collector in _collectors:
            collector.extend(declarations)


def requires(*requirements: str):
    """Declare what a DoFn class or a function needs installed on the worker.

    >>> @requires("pandas==2.2.3")
    ... class ToFrame(beam.DoFn): ...
    """
    reqs = _validate(tuple(requirements))
    file, line = _caller()

    def decorate(obj):
        existing = tuple(getattr(obj, ATTRIBUTE, ()))
        setattr(obj, ATTRIBUTE, existing + reqs)
        origin = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', obj)!s}"
        _record([Declaration(r, origin, file, line) for r in reqs])
        return obj

    return decorate


def requires_base(*requirements: str) -> None:
    """Declare what the whole pipeline needs on every worker (call at module level)."""
    reqs = _validate(tuple(requirements))
    file, line = _caller()
    _record([Declaration(r, "pipeline", file, line) for r in reqs])


def declared_on(obj) -> tuple[str, ...]:
    """The requirements declared on ``obj`` (a DoFn instance, its class, or a function)."""
    found = getattr(obj, ATTRIBUTE, None)
    if found is None and not isinstance(obj, type):
        found = getattr(type(obj), ATTRIBUTE, None)
    return tuple(found or ())


@contextlib.contextmanager
def collecting() -> Iterator[list[Declaration]]:
    """Collect every declaration made while the block runs (i.e. while a script loads)."""
    bucket: list[Declaration] = []
    with _lock:
        _collectors.append(bucket)
    try:
        yield bucket
    finally:
        with _lock:
            _collectors.remove(bucket)


@dataclass
class Merged:
    name: str
    specifier: SpecifierSet
    origins: list[Declaration]
    conflict: bool


def merge(declarations: list[Declaration], installed: dict[str, str | None]) -> list[Merged]:
    """Group declarations by distribution and find the ones no single version satisfies.

    Candidate versions are every version the declarations mention, versions just above each
    (for ``>1.2``), the lowest version (for ``<1.3`` alone) and the installed one; a group
    whose combined specifier admits none of them is a conflict.
    """
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    groups: dict[str, list[tuple[Requirement, Declaration]]] = {}
    for d in declarations:
        req = Requirement(d.requirement)
        groups.setdefault(canonicalize_name(req.name), []).append((req, d))
    out = []
    for name, items in sorted(groups.items()):
        combined = SpecifierSet()
        candidates: set[Version] = set()
        for req, _ in items:
            combined &= req.specifier
            for spec in req.specifier:
                mentioned = spec.version.removesuffix(".*")
                for text in (mentioned, f"{mentioned}.1", f"{mentioned}.0.1"):
                    try:
                        candidates.add(Version(text))
                    except InvalidVersion:
                        pass
        candidates.add(Version("0"))
        if installed.get(name):
            candidates.add(Version(installed[name]))
        conflict = bool(str(combined)) and not any(
            combined.contains(v, prereleases=True) for v in candidates
        )
        out.append(Merged(name, combined, [d for _, d in items], conflict))
    return out
