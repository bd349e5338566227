"""What a pipeline ships to its workers, read from its own options as Beam's stager reads them.

The simulated worker must see the staged requirements and local code (and nothing else
from the user's machine), so we turn ``--requirements_file``, ``--setup_file`` and
``--extra_package(s)`` into requirement names, importable top-level names and sys.path
entries.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import zipfile
from pathlib import Path
from typing import Any

from beam_deps.check.simulated.probe import Staged


def _requirements(path: str | os.PathLike) -> list[Any]:
    """The parsed requirements of a pip requirements file (``-r`` followed; URLs, local
    paths and options skipped), read the one way staging reads them."""
    from packaging.requirements import InvalidRequirement, Requirement

    from beam_deps.environment.distributions import requirement_lines

    out = []
    for line in requirement_lines(path):
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.url is None:
            out.append(req)
    return out


def requirement_names(path: str | os.PathLike) -> list[str]:
    """Distribution names in a pip requirements file."""
    return [req.name for req in _requirements(path)]


def requirement_pins(path: str | os.PathLike) -> dict[str, str]:
    """{normalised name: version} for ``name==version`` lines."""
    pins: dict[str, str] = {}
    for req in _requirements(path):
        exact = [s.version for s in req.specifier if s.operator in ("==", "===")]
        if exact:
            pins[normalize(req.name)] = exact[0]
    return pins


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _top_level_in_dir(folder: Path) -> list[str]:
    names = []
    for child in folder.iterdir():
        if child.is_dir() and (child / "__init__.py").exists():
            names.append(child.name)
        elif child.suffix == ".py" and child.stem not in ("setup", "conftest"):
            names.append(child.stem)
    return names


def _install_folders(names: list[str]) -> list[str]:
    """sys.path folders holding the installed distributions ``names`` and their dependencies."""
    from beam_deps.check.detectors.staged_wheels import installed_with

    folders: list[str] = []
    seen: set[str] = set()
    stack = list(names)
    while stack:
        name = normalize(stack.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        folder = str(Path(dist.locate_file("")).resolve())
        if folder not in folders:
            folders.append(folder)
        stack.extend(installed_with(dist.requires or ()))
    return folders


def staged_from_options(options: Any) -> Staged:
    """Read the pipeline's SetupOptions the way ``stager.Stager`` does.

    Local code is read from the wheel a worker would install (built and cached by
    ``staged_wheels``), so only what the project declares counts as shipped and its declared
    dependencies count as installed. What could not be inspected is said in ``notes``.
    """
    from apache_beam.options.pipeline_options import SetupOptions

    setup = options.view_as(SetupOptions)
    staged = Staged()
    if setup.requirements_file and os.path.isfile(setup.requirements_file):
        staged.dists.extend(requirement_names(setup.requirements_file))
    for name in getattr(setup, "packages", None) or ():
        staged.dists.append(name)
    if setup.setup_file and os.path.isfile(setup.setup_file):
        _add_project(staged, Path(setup.setup_file).resolve().parent)
    for package in setup.extra_packages or ():
        _add_extra_package(staged, Path(package))
    # pip installs them on the worker: let the simulated worker import them from where
    # they are installed here (its import hook still refuses everything else there).
    for folder in _install_folders(staged.dists):
        if folder not in staged.paths:
            staged.paths.append(folder)
    return staged


def _add_wheel(staged: Staged, wheel: Path) -> None:
    """A pure wheel imports straight from its zip; pip also installs its Requires-Dist."""
    from beam_deps.check.detectors.staged_wheels import wheel_requirements
    from beam_deps.staging.local_code import wheel_top_levels

    try:
        staged.modules.extend(sorted(wheel_top_levels(wheel)))
    except (OSError, zipfile.BadZipFile):
        pass
    staged.paths.append(str(wheel.resolve()))
    staged.dists.extend(wheel_requirements(wheel))
    if _has_extensions(wheel):
        staged.notes.append(
            f"{wheel.name} holds compiled extension modules, which Python cannot import from "
            "a wheel file: the simulated worker may report them missing although they ship"
        )


def _has_extensions(wheel: Path) -> bool:
    try:
        with zipfile.ZipFile(wheel) as zf:
            return any(n.endswith((".so", ".pyd")) for n in zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def _add_project(staged: Staged, root: Path) -> None:
    # Imported here: building wheels pulls in all of staging, needed only with --setup_file.
    from beam_deps.check.detectors.staged_wheels import project_wheel
    from beam_deps.staging.errors import StagingError

    try:
        wheel = project_wheel(root)
    except (StagingError, OSError) as exc:
        staged.notes.append(
            f"--setup_file: {exc}; until it builds, every module beside the setup file counts "
            "as shipped and the project's declared dependencies are not known"
        )
    else:
        _add_wheel(staged, wheel)
        return
    for folder in (root, root / "src"):
        if folder.is_dir():
            tops = _top_level_in_dir(folder)
            if tops:
                staged.modules.extend(tops)
                staged.paths.append(str(folder))


def _add_extra_package(staged: Staged, path: Path) -> None:
    from beam_deps.check.detectors.staged_wheels import sdist_wheel
    from beam_deps.staging.errors import StagingError

    if not path.is_file():
        staged.notes.append(f"extra package {path} was not inspected: no such file")
    elif path.suffix == ".whl":
        _add_wheel(staged, path)
    elif path.name.endswith((".tar.gz", ".tar", ".zip")):  # what Beam accepts besides wheels
        try:
            wheel = sdist_wheel(path)
        except (StagingError, OSError) as exc:
            staged.notes.append(
                f"--extra_package: {exc}; its modules are not on the simulated worker"
            )
        else:
            _add_wheel(staged, wheel)
    else:
        staged.notes.append(f"extra package {path} was not inspected: only wheels and sdists are")
