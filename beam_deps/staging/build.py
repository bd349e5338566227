"""Building a staging directory from a resolved plan: requirements, local wheels, wheelhouse.

Everything here writes only below the temporary directory it is given (and the work folder
for build trees); ``stage()`` renames the result into place. The result is a typed ``Built``
record of what was written, what ships, what was left out and why, and which files the
staging depends on (for the cache).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from beam_deps.catalogue import diagnostic
from beam_deps.diagnostics import Diagnostic
from beam_deps.staging import local_code, manifest
from beam_deps.staging.errors import StagingError
from beam_deps.staging.exclusions import STAGING_IN_PROGRESS, Policy
from beam_deps.staging.manifest import Artifact

if TYPE_CHECKING:
    from beam_deps.environment.distributions import Environment
    from beam_deps.staging import imports
    from beam_deps.staging import requirements as reqs_mod
    from beam_deps.staging.wheelhouse import Target

REQUIREMENTS_NAME = "requirements.txt"
_WALK_LIMIT = 5000


@dataclass
class Project:
    """The local project's wheel (and sdist), built before the requirements are resolved."""

    root: Path
    wheel: Path
    sdist: Path | None
    skipped: list
    tops: set[str]  # the wheel's top-level modules: local code, shipped in the wheel
    declarations: list  # its Requires-Dist (markers evaluated for the workers)

    def copy_to(self, wheels_dir: Path, sdist_dir: Path) -> tuple[Path, Path | None]:
        wheel = _mkdir(wheels_dir) / self.wheel.name
        shutil.copyfile(self.wheel, wheel)
        sdist = None
        if self.sdist is not None:
            sdist = _mkdir(sdist_dir) / self.sdist.name
            shutil.copyfile(self.sdist, sdist)
        return wheel, sdist


def build_project(project_root: Path | None, work: Path, target: Target | None) -> Project | None:
    """Build the project holding the script (None when the script is not in one)."""
    if project_root is None:
        return None
    from beam_deps.staging import requirements as reqs_mod

    wheel, sdist, skipped = local_code.build_project(
        project_root,
        work / "project-wheel",
        work / "project-sdist",
        f"the project in {project_root}",
        work,
    )
    markers = reqs_mod.marker_environment(target)
    return Project(
        project_root,
        wheel,
        sdist,
        skipped,
        local_code.wheel_top_levels(wheel),
        reqs_mod.project_declarations(wheel, project_root, markers),
    )


@dataclass
class Plan:
    """What to build, decided before anything is written."""

    closure: imports.Closure
    root: Path  # the folder local code is found in
    script: Path
    resolved: reqs_mod.RequirementSet
    env: Environment
    project: Project | None = None
    wheelhouse: bool = False
    target: Target | None = None
    progress: TextIO | None = None
    work: Path | None = None  # build trees go here


@dataclass
class Built:
    """What ``build`` wrote into the staging directory, and what it learnt doing so."""

    artifacts: list[Artifact] = field(default_factory=list)
    sources: list[Artifact] = field(default_factory=list)  # kept, not shipped
    shipped: list[str] = field(default_factory=list)  # local code, one entry per file
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    depends: list[Path] = field(default_factory=list)  # files found while building (cache)
    index_at_boot: list[str] = field(default_factory=list)  # lines workers fetch at boot
    diagnostics: list[Diagnostic] = field(default_factory=list)


def build(tmp: Path, plan: Plan) -> Built:
    """Write requirements.txt, the local wheels and (``plan.wheelhouse``) the wheelhouse
    into ``tmp``."""
    from beam_deps.staging import requirements as reqs_mod

    built = Built(index_at_boot=list(plan.resolved.lines))
    lines = plan.resolved.lines
    if lines:
        reqs_mod.write(tmp / REQUIREMENTS_NAME, lines)
        built.artifacts.append(manifest.artifact(tmp, tmp / REQUIREMENTS_NAME, "requirements"))
    wheels = _snapshots(tmp / "wheels", plan, built)
    wheels += _local_code(tmp, plan, built)
    built.artifacts += [manifest.artifact(tmp, w, "local_wheel") for w in wheels]
    if plan.wheelhouse and lines:
        _wheelhouse(tmp, plan, built)
    built.shipped = sorted(set(built.shipped))
    # This stage's own temporary folders are gone when it ends: never list them.
    built.excluded = sorted({e for e in built.excluded if e[1] != STAGING_IN_PROGRESS})
    return built


def _snapshots(wheels_dir: Path, plan: Plan, built: Built) -> list[Path]:
    """Editable / local installs the pipeline needs: wheel snapshots, installed first."""
    wheels = []
    project_root = plan.project.root if plan.project else None
    for name, origin in sorted(plan.resolved.snapshots.items()):
        if origin.path and project_root and origin.path.resolve() == project_root:
            continue  # the project itself: built by build_project
        wheel, files = _snapshot(name, origin, plan.env, wheels_dir, plan.work)
        wheels.append(wheel)
        built.depends += files
        built.shipped += [f"{wheel.name}: {m}" for m in local_code.wheel_members(wheel)]
    return wheels


def _local_code(tmp: Path, plan: Plan, built: Built) -> list[Path]:
    """The project's wheel, and a wheel of the loose modules next to the script."""
    root, project = plan.root, plan.project
    wheels = []
    policy = Policy(root)
    loose = dict(plan.closure.local)
    if project is not None:
        wheel, sdist = project.copy_to(tmp / "wheels", tmp / "sdist")
        wheels.append(wheel)
        if sdist is not None:
            # Kept for the record (and for PyPI or --setup_file users), not shipped: workers
            # install the wheel; an sdist would be built on every worker.
            built.sources.append(manifest.artifact(tmp, sdist, "local_sdist"))
        members = local_code.wheel_members(wheel)
        built.shipped += [_display(_member_source(project.root, m), root, m) for m in members]
        _refuse_linked_packages(project.skipped, root, everywhere=False)
        built.excluded += [(_rel(e.path, root), e.reason) for e in project.skipped]
        built.depends += [p for p, why in policy.walk(project.root) if not why and p.is_file()]
        loose = {t: p for t, p in loose.items() if t not in project.tops}
    if loose:
        files, skipped = local_code.loose_files(loose, root, policy)
        _refuse_linked_packages(skipped, root, everywhere=True)
        for top, location in sorted(loose.items()):
            why = policy.reason(location)
            if why:
                built.diagnostics.append(
                    diagnostic(
                        "BD422",
                        f"local module {top!r} ({_rel(location, root)}) is imported but "
                        f"excluded from staging ({why}); the worker will not have it",
                    )
                )
        built.excluded += [(_rel(e.path, root), e.reason) for e in skipped]
        if files:
            name = f"{_project_name(root)}_local"
            wheels.append(local_code.build_loose_wheel(name, files, _mkdir(tmp / "wheels")))
            built.shipped += [_rel(p, root) for p in files.values()]
            built.depends += list(files.values())
    if project is None:
        built.excluded += _not_shipped(root, plan.script, set(built.shipped), policy)
    return wheels


def _refuse_linked_packages(skipped: list, root: Path, everywhere: bool) -> None:
    """A symlinked folder of code that leads outside the project cannot ship (its content is
    not the project's to publish) and without it workers fail with ModuleNotFoundError: an
    error, not a silent exclusion. ``everywhere``: every folder of the walked tree is code
    (an imported package); else only a folder inside a package or holding one."""
    for e in skipped:
        if not (e.reason.startswith("symlink to a folder") and e.path.is_dir()):
            continue
        package = (e.path.parent / "__init__.py").is_file() or (e.path / "__init__.py").is_file()
        if everywhere or package:
            raise StagingError(
                f"{_rel(e.path, root)} is a {e.reason.removesuffix(': not followed')}; "
                "workers would miss its modules: copy it into the project, or install it as "
                "a package the workers install too"
            )


def _wheelhouse(tmp: Path, plan: Plan, built: Built) -> None:
    from beam_deps.staging import wheelhouse as wh

    wheels, missing = wh.download(
        plan.resolved.lines, tmp / "wheelhouse", target=plan.target, progress=plan.progress
    )
    for leftover in set((tmp / "wheelhouse").iterdir()) - set(wheels):
        leftover.unlink()  # the directory holds exactly what the manifest lists
    built.artifacts += [manifest.artifact(tmp, w, "wheelhouse") for w in wheels]
    built.index_at_boot = list(missing)
    for line in missing:
        built.diagnostics.append(
            diagnostic(
                "BD421",
                f"no binary wheel of {line} for the worker's platform is in the "
                "wheelhouse; workers will install it from the index",
            )
        )


def _project_name(root: Path) -> str:
    """A valid distribution name from the script's folder name (which may be anything)."""
    return re.sub(r"[^a-z0-9]+", "_", root.name.lower()).strip("_") or "pipeline"


def _snapshot(
    name, origin, env: Environment, wheels_dir: Path, work: Path | None = None
) -> tuple[Path, list[Path]]:
    """A wheel of an editable or local install (the worker cannot install it from a line)."""
    _mkdir(wheels_dir)
    path = origin.path
    if origin.kind in ("editable", "local_dir"):
        src = path / origin.subdirectory if (path and origin.subdirectory) else path
        if src is not None and src.is_dir() and local_code.is_project(src):
            wheel, _, _ = local_code.build_project(
                src, wheels_dir, None, f"{name} ({origin.kind} install from {src})", work
            )
            policy = Policy(src)
            return wheel, [p for p, why in policy.walk(src) if not why and p.is_file()]
        if origin.kind == "editable":
            raise StagingError(
                f"{name} is installed in editable mode from {src}, which no longer holds a "
                f"buildable project; reinstall it (pip install {name}) or restore the folder"
            )
    elif origin.kind == "local_archive" and path is not None and path.is_file():
        if path.suffix == ".whl":
            target = wheels_dir / path.name
            shutil.copyfile(path, target)
            return target, [path]
        wheel, _ = local_code.run_build(path, wheels_dir, f"{name} (from {path})", work=work)
        return wheel, [path]
    return local_code.repack_installed(env.dists[name], wheels_dir), []


def _member_source(project_root: Path, member: str) -> Path | None:
    for base in (project_root, project_root / "src", project_root / "lib"):
        candidate = base / member
        if candidate.is_file():
            return candidate
    return None


def _display(path: Path | None, root: Path, fallback: str) -> str:
    return _rel(path, root) if path is not None else fallback


def _rel(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` as the user sees it: a symlink keeps its own name."""
    for candidate in (Path(os.path.abspath(path)), Path(path).resolve()):
        if candidate.is_relative_to(root):
            return candidate.relative_to(root).as_posix()
    return str(path)


def _not_shipped(root: Path, script: Path, shipped: set[str], policy: Policy) -> list:
    """Everything in the script's folder that does not ship, with the reason (for --verbose)."""
    out = []
    for count, (path, why) in enumerate(policy.walk(root)):
        if count >= _WALK_LIMIT:
            out.append((_rel(root, root) + "/...", f"more than {_WALK_LIMIT} files: not listed"))
            break
        rel = _rel(path, root)
        if why:
            out.append((rel, why))
        elif path.is_file() and rel not in shipped:
            if path.resolve() == script:
                out.append((rel, "the script itself: it runs as __main__ and its code travels "
                            "in the payloads"))  # fmt: skip
            else:
                out.append((rel, "not imported by the pipeline"))
    return out


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
