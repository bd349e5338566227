"""Requirement rules, decided once for ``check`` and ``stage``.

A declared requirement (``@requires``, ``--requirements_file``, the local project's
dependencies) is judged against two environments: the one here, where the pipeline is built
and checked, and the worker model, where it runs. BD409: no single version satisfies the
declarations together (or with what the image's packages require: pip cannot install a version
apache-beam rejects); BD410: the staged version is installed over another version the image
has; BD420: the declaration excludes the version installed here. When BD410 applies, BD420 is
not said as well: the worker's copy is what matters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from beam_deps.catalogue import diagnostic
from beam_deps.diagnostics import Diagnostic
from beam_deps.environment.declarations import Declaration, Merged

if TYPE_CHECKING:
    from beam_deps.environment.distributions import Environment
    from beam_deps.environment.workers import WorkerImage


def _blame(declared: Merged, version: str | None = None) -> Declaration | None:
    """The declaration a diagnostic points at: the last one written somewhere known, and
    among those, one that excludes ``version`` when there is one."""
    located = [d for d in declared.origins if d.file]
    if version:
        excluding = [
            d
            for d in located
            if not Requirement(d.requirement).specifier.contains(version, prereleases=True)
        ]
        located = excluding or located
    return located[-1] if located else None


def placed(d: Diagnostic, declared: Merged, version: str | None = None) -> Diagnostic:
    if d.file is None:
        at = _blame(declared, version)
        if at is not None:
            d.file, d.line = at.file, at.line
    return d


def image_requirements(
    env: Environment, image: WorkerImage, own: dict[str, Merged]
) -> list[Declaration]:
    """What the image's packages require of the distributions in ``own`` (their
    Requires-Dist, markers evaluated here), as declarations to merge with ``own``'s.

    Only packages installed here at the image's version say what they require; one that a
    declaration replaces by another version no longer constrains anything."""
    out = []
    for source in sorted(image.packages):
        version = env.version(source)
        if version is None or image.version(source) not in (None, version):
            continue
        replaced = own.get(source)
        if replaced is not None and not replaced.specifier.contains(version, prereleases=True):
            continue
        where = f"required by {env.display_name(source)} {version} in the worker image"
        for req in env.requires(source):
            if canonicalize_name(req.name) in own and str(req.specifier):
                out.append(Declaration(f"{req.name}{req.specifier}", where))
    return out


def conflict_diagnostic(declared: Merged) -> Diagnostic:
    """BD409: no single version satisfies every requirement declared for one distribution."""
    origins = ", ".join(d.described for d in declared.origins)
    return placed(
        diagnostic(
            "BD409",
            f"declared requirements for {declared.name} cannot all be satisfied: {origins}",
        ),
        declared,
    )


def image_satisfies(declared: Merged, image: WorkerImage) -> bool:
    """The worker image already has a version the declaration admits (or any will do)."""
    if not image.has(declared.name):
        return False
    image_version = image.version(declared.name)
    return (
        not str(declared.specifier)
        or image_version is None
        or declared.specifier.contains(image_version, prereleases=True)
    )


def declared_version_diagnostics(
    display: str, declared: Merged, version: str | None, image: WorkerImage
) -> list[Diagnostic]:
    """BD420 when a declaration excludes the version installed here (``version``), BD410
    when it excludes the version the worker image has (the staged one is installed over it)."""
    out = []
    spec = str(declared.specifier)
    if version and spec and not declared.specifier.contains(version, prereleases=True):
        out.append(
            diagnostic(
                "BD420",
                f"{display}{spec} is declared but {version} is installed here: the "
                "pipeline was built and checked against another version",
            )
        )
    if image.has(declared.name) and not image_satisfies(declared, image):
        # The worker's copy is what matters: the staged version is installed over the
        # image's, so "another version than installed here" would only repeat it.
        out = [d for d in out if d.code != "BD420"]
        out.append(skew_diagnostic(display, spec, image.version(declared.name), image.source))
    return out


def skew_diagnostic(display: str, spec: str, image_version: str | None, source: str) -> Diagnostic:
    return diagnostic(
        "BD410",
        f"{display}{spec} is staged but the worker image ({source}) has "
        f"{display}=={image_version}; the staged version is installed over it",
    )
