"""The pinned requirement set: what the pipeline needs minus what the worker image has.

Sources of need, all mapped to installed distributions: imports found by the AST walk of the
local closure (including imports that only run on the worker), modules imported while the
pipeline was built, globals the payloads refer to by reference, and explicit declarations
(``@requires``/``requires_base``). The closure of those distributions is pinned to the
installed versions, so the worker reproduces the environment the pipeline was checked in.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from beam_deps.catalogue import diagnostic
from beam_deps.diagnostics import Diagnostic, Severity
from beam_deps.environment.declarations import Declaration, Merged, merge
from beam_deps.environment.distributions import SELF, DirectUrl, Environment
from beam_deps.environment.rules import (
    conflict_diagnostic,
    declared_version_diagnostics,
    image_requirements,
    image_satisfies,
    placed,
    skew_diagnostic,
)
from beam_deps.environment.workers import WorkerImage
from beam_deps.staging.imports import is_stdlib

if TYPE_CHECKING:
    from beam_deps.staging.wheelhouse import Target

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
    # Judged with what the worker image's packages require of the same distributions (as
    # `check` judges a --requirements_file): pip cannot install a version apache-beam rejects.
    with_image = {
        m.name: m
        for m in merge(list(declarations) + image_requirements(env, image, merged), installed)
    }
    conflicts: set[str] = set()
    for m in merged.values():
        result.why.setdefault(m.name, []).append("declared")
        if with_image[m.name].conflict:
            # No version satisfies the set: it is not a requirement (nothing is pinned or
            # printed for it), and BD409 says why.
            conflicts.add(m.name)
            result.diagnostics += _conflict_diagnostics(env, m, with_image[m.name], image)
            continue
        if m.name in env.dists:
            roots[m.name] = roots.get(m.name, frozenset()) | _extras(m)

    closure = env.closure(roots)
    lines: dict[str, str] = {}
    for name, version in sorted(closure.items()):
        if name == canonicalize_name(SELF) and name not in roots:
            continue
        if name in conflicts:
            continue
        display = env.display_name(name)
        declared = merged.get(name)
        if declared is not None:
            _declared_line(result, lines, name, declared, version, env, image)
            continue
        if image.has(name):
            image_version = image.version(name)
            if name in roots and image_version and version and image_version != version:
                result.diagnostics.append(
                    skew_diagnostic(display, f"=={version}", image_version, image.source)
                )
                lines[name] = f"{display}=={version}"
            continue
        if version is None:
            continue  # a dependency that is not installed here: nothing to pin
        _pin_installed(result, lines, name, display, version, env)

    for name, declared in merged.items():
        if name not in closure and name not in conflicts:
            # Declared, not installed here, needed by nothing installed.
            _declared_line(result, lines, name, declared, None, env, image)
    result.lines = [lines[k] for k in sorted(lines)]
    return result


def _declared_line(
    result: RequirementSet,
    lines: dict[str, str],
    name: str,
    declared: Merged,
    version: str | None,
    env: Environment,
    image: WorkerImage,
) -> None:
    """The requirement line (if any) and the diagnostics of one declared distribution
    (``version``: the one installed here, None when it is not installed)."""
    display = env.display_name(name) if version else _written_name(declared)
    spec = str(declared.specifier)
    found = declared_version_diagnostics(display, declared, version, image)
    if version is None and not image_satisfies(declared, image) and not found:
        found.append(_not_installed(display, declared))
    result.diagnostics += [placed(d, declared, version) for d in found]
    if image_satisfies(declared, image):
        return
    if version is None:
        # Not installed here: ship the declaration as written (BD420 said it is unpinned).
        extras = ",".join(sorted(_extras(declared)))
        lines[name] = f"{display}[{extras}]{spec}" if extras else f"{display}{spec}"
    elif not spec or declared.specifier.contains(version, prereleases=True):
        # Pin to what is installed (what was checked) when it satisfies the declaration; an
        # editable or local install is a wheel snapshot, as when an import needs it.
        _pin_installed(result, lines, name, display, version, env)
    else:
        lines[name] = f"{display}{spec}"


def _pin_installed(
    result: RequirementSet,
    lines: dict[str, str],
    name: str,
    display: str,
    version: str,
    env: Environment,
) -> None:
    """The line that reinstalls what is installed here: ``name==version`` from an index, the
    VCS commit or URL it came from, or (a local or editable install) a wheel snapshot."""
    origin = env.direct_urls.get(name)
    if origin is None:
        lines[name] = f"{display}=={version}"
        return
    line = origin.requirement(display)
    if line is not None:
        lines[name] = line
        return
    result.snapshots[name] = origin
    result.diagnostics.append(
        diagnostic(
            "BD404",
            f"{display} is {_KIND_TEXT.get(origin.kind, 'a local')} install "
            f"({origin.url}); staged as a wheel snapshot instead of a requirement",
            severity=Severity.INFO,
        )
    )


def _written_name(declared: Merged) -> str:
    return Requirement(declared.origins[0].requirement).name


def _extras(declared: Merged) -> frozenset[str]:
    """Extras the declarations ask for (``pandas[performance]``): their dependencies are
    part of the closure to pin."""
    out: set[str] = set()
    for origin in declared.origins:
        out |= Requirement(origin.requirement).extras
    return frozenset(out)


def _not_installed(display: str, declared: Merged) -> Diagnostic:
    spec = str(declared.specifier)
    return diagnostic(
        "BD420",
        f"{display}{spec} is declared but {display} is not installed here, so it cannot be "
        "pinned: workers install whatever version the package index resolves, code the "
        "pipeline was never built or checked with",
        fix=f"Install it here (pip install '{display}{spec}') so it is pinned to the version "
        "you build and check with, or drop the declaration if the pipeline does not need it.",
    )


def _conflict_diagnostics(
    env: Environment, own: Merged, both: Merged, image: WorkerImage
) -> list[Diagnostic]:
    """BD409 for declarations no version satisfies (among themselves or with what the
    image's packages require); BD420 as well only when none of them admits the version
    installed here (so whichever is kept, the workers run code that was not checked)."""
    version = env.version(own.name)
    display = env.display_name(own.name) if version else _written_name(own)
    conflict = placed(conflict_diagnostic(both), own)
    if not own.conflict:
        required = [d.requirement for d in both.origins if d not in own.origins]
        have = image.version(own.name)
        keep = f"; the image has {display}=={have}" if have else ""
        conflict.fix = (
            f"Require a version of {display} the worker image's packages accept "
            f"({', '.join(required)}{keep}), or drop the declaration and use the image's copy."
        )
        return [conflict]
    out = [conflict]
    admits = [
        Requirement(d.requirement).specifier.contains(version, prereleases=True)
        for d in own.origins
    ]
    if version and not any(admits):
        declared = ", ".join(d.described for d in own.origins)
        out.append(
            placed(
                diagnostic(
                    "BD420",
                    f"none of the declarations of {display} ({declared}) admits {version}, the "
                    "version installed here: whichever is kept, the pipeline was built and "
                    "checked against another version",
                ),
                own,
                version,
            )
        )
    return out


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


# ---------------------------------------------------------------------------- the workers
def marker_environment(target: Target | None = None) -> dict[str, str]:
    """PEP 508 marker values for the workers: this interpreter's, with the Python and the
    platform of ``target`` (``--worker-python``/``--worker-platform``) when given. As for
    ``--wheelhouse``, a target without a platform is Linux x86_64."""
    from packaging.markers import default_environment

    env = dict(default_environment())
    if target is None or not (target.python or target.platforms):
        return env
    if target.python:
        env["python_version"] = target.python
        if not env["python_full_version"].startswith(target.python + "."):
            env["python_full_version"] = f"{target.python}.0"
    env.update(
        _platform_markers(target.platforms[0] if target.platforms else "manylinux2014_x86_64")
    )
    return env


_MACHINES = {"amd64": "AMD64", "arm64": "arm64", "aarch64": "aarch64", "x86_64": "x86_64"}


def _platform_markers(tag: str) -> dict[str, str]:
    tag = tag.lower()
    if tag.startswith(("manylinux", "musllinux", "linux")):
        out = {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"}
    elif tag.startswith("macosx"):
        out = {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"}
    elif tag.startswith("win"):
        out = {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"}
    else:
        return {}
    for suffix in ("x86_64", "aarch64", "arm64", "amd64", "i686", "ppc64le", "s390x", "armv7l"):
        if tag.endswith(suffix):
            out["platform_machine"] = _MACHINES.get(suffix, suffix)
            break
    return out


def applicable(declarations: list[Declaration], markers: dict[str, str]) -> list[Declaration]:
    """The declarations whose environment marker holds on the workers (``pywin32;
    sys_platform == "win32"`` is no requirement of a Linux worker); markers are dropped from
    the lines staged, so a declaration that does not apply must not be staged at all."""
    env = dict(markers, extra="")
    out = []
    for d in declarations:
        try:
            marker = Requirement(d.requirement).marker
        except InvalidRequirement:
            continue
        if marker is None or marker.evaluate(env):
            out.append(d)
    return out


# ---------------------------------------------------------------------------- local project
_DECLARING_FILES = (
    ("pyproject.toml", "dependencies"),
    ("setup.cfg", "install_requires"),
    ("setup.py", ""),
    ("pyproject.toml", ""),
)


def project_declarations(
    wheel: Path, project_root: Path, markers: dict[str, str] | None = None
) -> list[Declaration]:
    """The local project's own dependencies, read from the wheel staging built of it (its
    ``Requires-Dist``: what setup.py, setup.cfg or pyproject.toml declared, however computed),
    as declarations: the workers install that wheel with ``--no-deps``, so each must be a
    requirement line (or be in the worker image). Markers are evaluated for the workers
    (``markers``); the project's own extras are not selected."""
    from beam_deps.staging.local_code import wheel_metadata

    name, version, requires = wheel_metadata(wheel)
    markers = dict(markers or marker_environment(), extra="")
    source = _declaring_file(project_root)
    text = source.read_text(encoding="utf-8", errors="replace") if source else ""
    out = []
    for line in requires:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is not None and not req.marker.evaluate(markers):
            continue
        if canonicalize_name(req.name) == canonicalize_name(name):
            continue  # `proj[extra]` inside proj's own metadata
        extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
        out.append(
            Declaration(
                f"{req.name}{extras}{req.specifier}",
                f"Requires-Dist of the local project {name} {version}",
                str(source) if source else None,
                _line_of(text, req.name),
            )
        )
    return out


def _declaring_file(project_root: Path) -> Path | None:
    for file, marker in _DECLARING_FILES:
        path = project_root / file
        if path.is_file() and marker in path.read_text(encoding="utf-8", errors="replace"):
            return path
    return None


def _line_of(text: str, name: str) -> int | None:
    """The first line of a project file that names distribution ``name`` as a requirement."""
    words = "[-_.]+".join(re.escape(part) for part in re.split(r"[-_.]+", name))
    pattern = re.compile(rf"""(^|["'\s,\[]){words}\s*($|[\[<>=!~;,"'\s@])""", re.IGNORECASE)
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.search(line):
            return number
    return None


def write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
