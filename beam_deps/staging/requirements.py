"""The pinned requirement set: what the pipeline needs minus what the worker image has.

Sources of need, all mapped to installed distributions: imports found by the AST walk of the
local closure (including imports that only run on the worker), modules imported while the
pipeline was built, globals the payloads refer to by reference, and explicit declarations
(``@requires``/``requires_base``). The closure of those distributions is pinned to the
installed versions, so the worker reproduces the environment the pipeline was checked in.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from beam_deps.diagnostics import Diagnostic, Severity, diagnostic
from beam_deps.staging.distributions import SELF, DirectUrl, Environment, WorkerImage
from beam_deps.staging.imports import is_stdlib
from beam_deps.staging.requires import Declaration, Merged, merge

_KIND_TEXT = {
    "editable": "an editable",
    "local_dir": "a local-folder",
    "local_archive": "a local-archive",
}


@dataclass(frozen=True)
class Need:
    """A module the pipeline needs and why we think so."""

    module: str
    source: str  # "import" (AST), "built" (imported while building), "payload", "pickler"
    file: str | None = None  # the module's file, when known (settles namespace packages)
    at: str | None = None  # "path:line" of the import statement
    line: int | None = None
    guarded: bool = False


@dataclass
class RequirementSet:
    lines: list[str] = field(default_factory=list)
    snapshots: dict[str, DirectUrl] = field(default_factory=dict)  # dist -> local origin
    why: dict[str, list[str]] = field(default_factory=dict)  # dist -> modules needing it
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module.split(".")[0]) is not None
    except (ImportError, ValueError):
        return False


def resolve(
    needs: list[Need],
    env: Environment,
    image: WorkerImage,
    declarations: list[Declaration] = (),
    local_tops: set[str] = frozenset(),
) -> RequirementSet:
    result = RequirementSet()
    roots: dict[str, frozenset[str]] = {}
    reported: set[str] = set()
    sites = _import_sites(needs)

    for need in sorted(needs, key=lambda n: (n.module, n.source)):
        top = need.module.split(".")[0]
        if is_stdlib(need.module, need.file) or top in local_tops:
            continue
        dists = env.distributions_for(need.module, need.file)
        if not dists:
            if top in reported:
                continue
            site = sites.get(need.module) or sites.get(top)
            at, line = (site.at, site.line) if site else (need.at, need.line)
            if need.source == "import" and (need.guarded or not _importable(need.module)):
                if not need.guarded:
                    reported.add(top)
                    result.diagnostics.append(
                        diagnostic(
                            "BD403",
                            f"module {top!r} is imported at {at} but is not installed "
                            "here, so it cannot be staged",
                            severity=Severity.WARNING,
                            file=at.rsplit(":", 1)[0] if at else None,
                            line=line,
                        )
                    )
                continue
            reported.add(top)
            where = f" (from {need.file})" if need.file else ""
            result.diagnostics.append(
                diagnostic(
                    "BD411",
                    f"module {top!r}{where} is not provided by any installed distribution, "
                    "so it cannot be pinned and will be missing on the worker",
                    file=at.rsplit(":", 1)[0] if at else None,
                    line=line,
                )
            )
            continue
        for dist in dists:
            if dist == canonicalize_name(SELF) and need.source != "payload":
                continue  # the tool itself: decorators leave only strings in the payload
            roots.setdefault(dist, frozenset())
            result.why.setdefault(dist, [])
            if top not in result.why[dist]:
                result.why[dist].append(top)

    installed = {name: env.version(name) for name in env.dists}
    merged = {m.name: m for m in merge(list(declarations), installed)}
    for m in merged.values():
        if m.conflict:
            result.diagnostics.append(conflict_diagnostic(m))
        if m.name in env.dists:
            roots.setdefault(m.name, frozenset())
        result.why.setdefault(m.name, []).append("declared")

    closure = env.closure(roots)
    lines: dict[str, str] = {}
    for name, version in sorted(closure.items()):
        if name == canonicalize_name(SELF) and name not in roots:
            continue
        display = env.display_name(name)
        declared = merged.get(name)
        if declared is not None:
            spec = str(declared.specifier)
            result.diagnostics += declared_version_diagnostics(display, declared, version, image)
            if image_satisfies(declared, image):
                continue
            satisfied = version and (
                not spec or declared.specifier.contains(version, prereleases=True)
            )
            # Pin to what is installed (what was checked) when it satisfies the declaration.
            lines[name] = f"{display}=={version}" if satisfied else f"{display}{spec}"
            continue
        if image.has(name):
            image_version = image.version(name)
            if name in roots and image_version and version and image_version != version:
                result.diagnostics.append(
                    _skew(display, f"=={version}", image_version, image.source)
                )
                lines[name] = f"{display}=={version}"
            continue
        if version is None:
            continue  # a dependency that is not installed here: nothing to pin
        origin = env.direct_urls.get(name)
        if origin is not None:
            line = origin.requirement(display)
            if line is None:
                result.snapshots[name] = origin
                result.diagnostics.append(
                    diagnostic(
                        "BD404",
                        f"{display} is {_KIND_TEXT.get(origin.kind, 'a local')} install "
                        f"({origin.url}); staged as a wheel snapshot instead of a requirement",
                        severity=Severity.INFO,
                    )
                )
                continue
            lines[name] = line
            continue
        lines[name] = f"{display}=={version}"

    for name, declared in merged.items():
        if name not in env.dists and name not in lines and not image.has(name):
            # Declared but not installed here: ship the declaration as written.
            display = Requirement(declared.origins[0].requirement).name
            lines[name] = f"{display}{declared.specifier}"
    result.lines = [lines[k] for k in sorted(lines)]
    return result


def _import_sites(needs: list[Need]) -> dict[str, Need]:
    """Module (and top-level package) -> the need that says where it is imported.

    The same module usually arrives several times (imported in the source, imported while
    the pipeline was built, referenced by a payload); only the import has a file:line, and a
    diagnostic must point there whichever need it is reported for."""
    sites: dict[str, Need] = {}
    for need in needs:
        if need.at is None:
            continue
        sites.setdefault(need.module, need)
        sites.setdefault(need.module.split(".")[0], need)
    return sites


def conflict_diagnostic(declared: Merged) -> Diagnostic:
    """BD409: no single version satisfies every requirement declared for one distribution."""
    origins = ", ".join(f"{d.requirement} ({d.origin})" for d in declared.origins)
    return diagnostic(
        "BD409",
        f"declared requirements for {declared.name} cannot all be satisfied: {origins}",
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
        out.append(_skew(display, spec, image.version(declared.name), image.source))
    return out


def _skew(display: str, spec: str, image_version: str | None, source: str) -> Diagnostic:
    return diagnostic(
        "BD410",
        f"{display}{spec} is staged but the worker image ({source}) has "
        f"{display}=={image_version}; the staged version is installed over it",
    )


def write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
