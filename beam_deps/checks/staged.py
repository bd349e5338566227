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

from beam_deps.worker.probe import Staged

_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_names(path: str | os.PathLike) -> list[str]:
    """Distribution names in a pip requirements file (options and URLs skipped)."""
    names: list[str] = []
    for raw in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-") or "://" in line or line.startswith((".", "/")):
            continue
        match = _NAME.match(line)
        if match:
            names.append(match.group(1))
    return names


def requirement_pins(path: str | os.PathLike) -> dict[str, str]:
    """{normalised name: version} for ``name==version`` lines."""
    pins: dict[str, str] = {}
    for raw in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split("#", 1)[0].split(";", 1)[0].strip()
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s,]+)$", line)
        if match:
            pins[normalize(match.group(1))] = match.group(2)
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


def _top_level_in_wheel(path: Path) -> list[str]:
    names = set()
    try:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                first = name.split("/", 1)[0]
                if first.endswith((".dist-info", ".data")):
                    continue
                names.add(first[:-3] if first.endswith(".py") else first)
    except (OSError, zipfile.BadZipFile):
        pass
    return sorted(names)


def _install_folders(names: list[str]) -> list[str]:
    """sys.path folders holding the installed distributions ``names`` and their dependencies."""
    from packaging.requirements import InvalidRequirement, Requirement

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
        for line in dist.requires or ():
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                stack.append(req.name)
    return folders


def staged_from_options(options: Any) -> Staged:
    """Read the pipeline's SetupOptions the way ``stager.Stager`` does."""
    from apache_beam.options.pipeline_options import SetupOptions

    setup = options.view_as(SetupOptions)
    staged = Staged()
    if setup.requirements_file and os.path.isfile(setup.requirements_file):
        staged.dists.extend(requirement_names(setup.requirements_file))
    for name in getattr(setup, "packages", None) or ():
        staged.dists.append(name)
    # pip installs them on the worker: let the simulated worker import them from where
    # they are installed here (its import hook still refuses everything else there).
    for folder in _install_folders(staged.dists):
        if folder not in staged.paths:
            staged.paths.append(folder)
    if setup.setup_file and os.path.isfile(setup.setup_file):
        root = Path(setup.setup_file).resolve().parent
        for folder in (root, root / "src"):
            if folder.is_dir():
                tops = _top_level_in_dir(folder)
                if tops:
                    staged.modules.extend(tops)
                    staged.paths.append(str(folder))
    for package in setup.extra_packages or ():
        path = Path(package)
        if path.suffix == ".whl" and path.is_file():
            staged.modules.extend(_top_level_in_wheel(path))
            staged.paths.append(str(path.resolve()))
        else:
            staged.notes.append(f"extra package {package} was not inspected (only wheels are)")
    return staged
