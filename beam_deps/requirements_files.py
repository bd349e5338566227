"""pip requirements files, read as pip reads them.

Staging, ``check`` and the worker boot all judge the same files (the pipeline's
``--requirements_file``, a worker image's freeze, a staged ``requirements.txt``); one reader
keeps them agreeing on continued lines, ``-r``/``-c`` includes and ``--hash`` options. It
imports nothing heavy: the boot program reads staged files with it before anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RequirementLine:
    """One requirement of a pip requirements file, and where it is written."""

    text: str  # the requirement, without comment and per-requirement options (``--hash``)
    file: Path
    line: int  # 1-based; a requirement continued with a backslash: its first line


_COMMENT = re.compile(r"(^|\s+)#.*$")
_OPTIONS = re.compile(r"\s+--?[A-Za-z].*$")  # `name==1.0 --hash=sha256:...`


def logical_lines(text: str) -> list[tuple[int, str]]:
    """The lines of a requirements file's ``text`` as pip sees them, with the number of each
    one's first physical line: continued lines joined, comments and blank lines dropped.
    Nothing is followed or interpreted (the boot judges options itself)."""
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\"):  # pip joins continued lines before it reads them
            pending += raw[:-1] + " "
            continue
        line, pending = _COMMENT.sub("", pending + raw).strip(), ""
        if line:
            lines.append((start, line))
    return lines


def _requirement_entries(path: Path, _depth: int = 0) -> list[RequirementLine]:
    entries: list[RequirementLine] = []
    for start, line in logical_lines(path.read_text(encoding="utf-8")):
        if line.startswith(("-r ", "--requirement ", "-c ", "--constraint ")) and _depth < 5:
            entries += _requirement_entries(path.parent / line.split(None, 1)[1], _depth + 1)
        elif not line.startswith("-"):
            entries.append(RequirementLine(_OPTIONS.sub("", line), path, start))
    return entries


def requirement_entries(path: str | Path) -> list[RequirementLine]:
    """The requirements of a pip requirements file with their file and line (``-r``/``-c``
    followed, comments and per-requirement options such as ``--hash`` dropped)."""
    return _requirement_entries(Path(path))


def requirement_lines(path: str | Path) -> list[str]:
    """The requirement lines of a pip requirements file (``-r``/``-c`` followed)."""
    return [entry.text for entry in _requirement_entries(Path(path))]
