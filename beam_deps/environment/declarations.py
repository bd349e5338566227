"""Declared requirements and how they combine.

A declaration is one requirement written somewhere known: ``@requires``/``requires_base``, a
line of ``--requirements_file``, the local project's ``Requires-Dist``, or what a package of the
worker image requires. A Beam worker has ONE environment per pipeline, so declarations of one
distribution are merged, and a group no single version satisfies is a conflict (BD409).
Shared by ``check`` and ``stage`` (through ``beam_deps.environment.rules``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet


# Where ``@beam_deps.requires`` records its strings on the decorated object: plain strings,
# so nothing of beam-deps is needed on the worker to unpickle a decorated DoFn.
ATTRIBUTE = "__beam_deps_requires__"
OWN_ENVIRONMENT = "__beam_deps_own_environment__"


def declared_on(obj) -> tuple[str, ...]:
    """The requirements declared on ``obj`` (a DoFn instance, its class, or a function)."""
    found = getattr(obj, ATTRIBUTE, None)
    if found is None and not isinstance(obj, type):
        found = getattr(type(obj), ATTRIBUTE, None)
    return tuple(found or ())


def wants_own_environment(obj) -> bool:
    """Whether ``@requires(..., own_environment=True)`` decorated ``obj`` (or its class)."""
    found = getattr(obj, OWN_ENVIRONMENT, None)
    if found is None and not isinstance(obj, type):
        found = getattr(type(obj), OWN_ENVIRONMENT, None)
    return bool(found)


@dataclass(frozen=True)
class Declaration:
    requirement: str
    origin: str  # "pipeline" for requires_base, else the decorated object's qualified name
    file: str | None = None  # where the declaration is written (the decorator, the call,
    line: int | None = None  # the requirements file line), when known

    @property
    def name(self) -> str | None:
        """The declared distribution's canonical name; None for an unreadable requirement
        (reported by the rules that read declarations)."""
        from packaging.requirements import InvalidRequirement, Requirement
        from packaging.utils import canonicalize_name

        try:
            return canonicalize_name(Requirement(self.requirement).name)
        except InvalidRequirement:
            return None

    @property
    def described(self) -> str:
        """``requirement (origin, file:line)``: for messages that list several."""
        where = f", {os.path.basename(self.file)}:{self.line}" if self.file and self.line else ""
        return f"{self.requirement} ({self.origin}{where})"


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
