"""One path style in every format: files relative to the project root.

The project root is the folder of the nearest ``pyproject.toml`` at or above the current
directory (where ruff, mypy and pytest also take the project to be), else the current
directory. Text, JSON, GitHub annotations and SARIF (through its ``PROJECTROOT`` base id) all
show a file inside the root as a relative POSIX path (``jobs/job.py``), so a CI log, an
annotation and an editor jump agree; a file outside the root (an installed package, a
requirements file elsewhere) stays absolute, since a relative path climbing out of the root
would mean something else on another machine.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


def project_root(start: str | os.PathLike | None = None) -> Path:
    """The folder of the nearest pyproject.toml at or above ``start`` (the current
    directory), else ``start`` itself."""
    here = Path(os.path.abspath(start if start is not None else os.getcwd()))
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    return here


def shown_path(file: str, root: Path | None = None) -> str:
    """``file`` relative to ``root`` (POSIX separators) when inside it, else absolute."""
    if not file or file.startswith("<"):
        return file
    root = root if root is not None else project_root()
    absolute = os.path.abspath(file)
    pairs = ((absolute, str(root)), (os.path.realpath(absolute), os.path.realpath(root)))
    for candidate, base in pairs:
        try:
            relative = os.path.relpath(candidate, base)
        except ValueError:  # another drive (Windows)
            continue
        if relative != ".." and not relative.startswith(".." + os.sep):
            return PurePosixPath(*Path(relative).parts).as_posix()
    return absolute


def shown_location(location: str, root: Path | None = None) -> str:
    """``file:line`` (an ``applied_at``) with its file shown as ``shown_path`` shows it."""
    filename, sep, line = location.rpartition(":")
    if not sep or not line.isdigit():
        return location
    return f"{shown_path(filename, root)}:{line}"


__all__ = ["project_root", "shown_location", "shown_path"]
