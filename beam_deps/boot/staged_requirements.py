"""Staged pip requirements files, judged before any installer reads them.

A requirements file is a small program for pip: ``--index-url`` and ``--find-links`` choose
where code comes from, ``-r``/``-c`` read any file on the worker (and pip quotes a line it
cannot parse in its error, which would carry that file into the log and the job's error),
``${VAR}`` expands the worker's environment. The manifest only proves that the file is the one
staged, not who wrote it (see the threat model in ``website/docs/workers.md``), so:

* under a manifest the boot accepts only what ``beam-deps stage`` writes: requirement lines
  (PEP 508, ``name @ URL`` for VCS and web URLs included) with optional ``--hash`` options;
  anything else refuses the staging (BD501) before the cache is touched. The installer then
  reads a private file the boot writes from the accepted lines, never the staged one;
* without a manifest the files keep Beam's semantics (pip obeys what they say), but includes
  of files outside the staged folder are found here, so the installer's output, which may
  quote them, is never shown (`BeamRequirements.outside`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from beam_deps.boot.errors import BootError
from beam_deps.requirements_files import logical_lines

_OPTION = re.compile(r"(^|\s)--?[A-Za-z]")
_HASH = re.compile(r"^(sha256|sha384|sha512):[0-9a-fA-F]+$")
_NOT_A_STAGING = (
    "`beam-deps stage` writes only requirement lines (with optional --hash); stage again, "
    "or remove beam_deps_manifest.json to install the files as Beam's own boot does"
)


@dataclass(frozen=True)
class Accepted:
    """One requirement line a manifest staging may carry."""

    requirement: str  # normalised by packaging: what the installer is given
    name: str  # canonical project name
    hashes: tuple[str, ...]  # "sha256:HEX", as pip's --hash takes them

    @property
    def line(self) -> str:
        """The line of the private requirements file the installer reads."""
        return " ".join([self.requirement, *(f"--hash={h}" for h in self.hashes)])


def decode(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BootError(
            "BD504", f"requirements file {name} is not UTF-8 text, so pip cannot read it ({exc})"
        ) from None


def accepted_lines(name: str, data: bytes) -> list[Accepted]:
    """The requirements of a manifest staging's requirements file ``data`` (named ``name`` in
    messages); BD501 on the first line that is anything else. Lines whose marker excludes this
    interpreter are kept: the installer skips them, as pip would."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    accepted: list[Accepted] = []
    for number, line in logical_lines(decode(name, data)):

        def refuse(why: str, number: int = number) -> BootError:
            return BootError("BD501", f"{name} line {number} {why}", _NOT_A_STAGING)

        if "${" in line:
            raise refuse("refers to an environment variable (pip would expand ${...})")
        option = _OPTION.search(line)
        text, options = (
            (line, [])
            if option is None
            else (line[: option.start()], line[option.start() :].split())
        )
        if not text.strip():
            raise refuse(
                f"is the pip option {_shown(options[0].split('=', 1)[0])}, not a requirement"
            )
        try:
            req = Requirement(text.strip())
        except InvalidRequirement:
            raise refuse(
                f"is not a requirement ({_shown(text.strip())}: pip would read it as a path or URL)"
            ) from None
        if req.url and req.url.lower().startswith("file:"):
            raise refuse(f"installs {req.name} from a file on the worker ({_shown(req.url)})")
        hashes = _hashes(options)
        if hashes is None:
            raise refuse(f"has options other than --hash ({_shown(' '.join(options))})")
        accepted.append(Accepted(str(req), canonicalize_name(req.name), hashes))
    return accepted


def _hashes(options: list[str]) -> tuple[str, ...] | None:
    found: list[str] = []
    i = 0
    while i < len(options):
        token = options[i]
        if token == "--hash" and i + 1 < len(options):
            value, i = options[i + 1], i + 2
        elif token.startswith("--hash="):
            value, i = token.split("=", 1)[1], i + 1
        else:
            return None
        if not _HASH.match(value):
            return None
        found.append(value.lower())
    return tuple(found)


def _shown(text: str) -> str:
    return f"`{text[:60]}{'...' if len(text) > 60 else ''}`"


# ------------------------------------------------------------------ without a manifest


@dataclass
class BeamRequirements:
    """What Beam's boot would read through a staged requirements file and its includes."""

    # (path, name relative to the staged folder, sha256 of the bytes read): the file itself
    # first, then the files of the staged folder it includes.
    files: list[tuple[Path, str, str]] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # included from anywhere else
    lines: list[str] = field(default_factory=list)  # requirement lines, for the log


def beam_requirements(path: Path, staged_dir: Path) -> BeamRequirements:
    """Read ``path`` (and the staged files it includes) without following anything outside
    ``staged_dir``: what is outside is only named, never opened. Each file is read once; the
    hash recorded is of the bytes judged here."""
    found = BeamRequirements()
    todo, seen = [Path(path).relative_to(staged_dir).as_posix()], set()
    while todo:
        rel = todo.pop(0)
        if rel in seen:
            continue
        seen.add(rel)
        current = staged_dir / rel
        data = current.read_bytes()
        found.files.append((current, rel, hashlib.sha256(data).hexdigest()))
        for _number, line in logical_lines(decode(rel, data)):
            target = _include(line)
            if target is None:
                if not line.startswith("-"):
                    found.lines.append(line)
                continue
            inside = Path(target)
            safe = not inside.is_absolute() and ".." not in inside.parts and "${" not in target
            if safe and (staged_dir / inside).is_file():
                todo.append(inside.as_posix())
            else:  # pip reads it (or fails on it) as Beam's boot would; nobody sees it
                found.outside.append(target)
    return found


def _include(line: str) -> str | None:
    """The file a ``-r``/``-c`` line (any spelling optparse accepts) names, else None."""
    for long in ("--requirement", "--constraint"):
        if line.startswith(long):
            rest = line[len(long) :]
            return rest[1:].strip() if rest[:1] in ("=", " ", "\t") else None
    if line.startswith(("-r", "-c")):
        return line[2:].strip() or None
    return None
