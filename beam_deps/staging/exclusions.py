"""What must never ship to a worker, and why.

Local code is shipped as files copied into a wheel. A project folder usually also holds a
virtualenv, the git history, caches and, worst of all, secrets (``.env``, private keys,
service-account JSON). Every file that is left out is left out for a stated reason, so
``beam-deps package list --verbose`` can show the user exactly what happened.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Directory names that are never code to ship.
_SKIP_DIRS = {
    ".git": "version-control metadata",
    ".hg": "version-control metadata",
    ".svn": "version-control metadata",
    "__pycache__": "bytecode cache",
    ".mypy_cache": "tool cache",
    ".pytest_cache": "tool cache",
    ".ruff_cache": "tool cache",
    ".tox": "tool cache",
    ".nox": "tool cache",
    ".hypothesis": "tool cache",
    ".idea": "editor settings",
    ".vscode": "editor settings",
    "node_modules": "node packages",
    ".eggs": "build output",
}
_SECRET_NAMES = [
    (".env*", "may hold secrets (.env*)"),
    ("*.pem", "private key or certificate (*.pem)"),
    ("*.key", "private key (*.key)"),
    ("*.p12", "private key store (*.p12)"),
    ("*.pfx", "private key store (*.pfx)"),
    ("*.jks", "key store (*.jks)"),
    ("id_rsa*", "SSH key"),
    ("id_ed25519*", "SSH key"),
    ("id_ecdsa*", "SSH key"),
    (".netrc", "credentials (.netrc)"),
    (".pypirc", "credentials (.pypirc)"),
    (".git-credentials", "credentials"),
    ("*credentials*.json", "credential JSON"),
    ("*service*account*.json", "credential JSON"),
    ("client_secret*.json", "credential JSON"),
    ("*.kdbx", "password database"),
]
_JUNK_NAMES = [
    ("*.pyc", "bytecode"),
    ("*.pyo", "bytecode"),
    (".DS_Store", "OS metadata"),
    ("*.swp", "editor swap file"),
    ("*.egg-info", "build metadata"),
]
_STAGING_TEMP = re.compile(r"^\..+\.(?:tmp|old|probe)-[A-Za-z0-9_]+$")
_CREDENTIAL_JSON_KEYS = ("private_key", "client_secret", "refresh_token")


@dataclass(frozen=True)
class Exclusion:
    """One file or directory left out, with the reason shown to the user."""

    path: Path
    reason: str


@dataclass
class _IgnoreRule:
    base: Path
    regex: re.Pattern
    negate: bool
    dir_only: bool
    pattern: str


def _gitignore_regex(pattern: str) -> tuple[str, bool]:
    """Translate one gitignore pattern into a regex over a '/'-separated relative path."""
    anchored = "/" in pattern.rstrip("/")
    pattern = pattern.lstrip("/")
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1 : j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j + 1
        elif c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    body = "".join(out)
    prefix = "" if anchored else "(?:.*/)?"
    # A match on a directory also covers everything below it.
    return f"^{prefix}{body}(?:/.*)?$", anchored


def _read_gitignore(folder: Path) -> list[_IgnoreRule]:
    path = folder / ".gitignore"
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    rules = []
    for raw in lines:
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        dir_only = line.endswith("/")
        regex, _ = _gitignore_regex(line.rstrip("/") if dir_only else line)
        rules.append(_IgnoreRule(folder, re.compile(regex), negate, dir_only, raw.strip()))
    return rules


def _is_virtualenv(folder: Path) -> bool:
    return (folder / "pyvenv.cfg").is_file() or (folder / "conda-meta").is_dir()


def _credential_json(path: Path) -> bool:
    """A JSON file that holds a private key or OAuth secret is a credential whatever its name."""
    try:
        if path.stat().st_size > 64 * 1024:
            return False
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    if not isinstance(data, dict):
        return False
    if data.get("type") in ("service_account", "authorized_user", "external_account"):
        return True
    nested = [data] + [v for v in data.values() if isinstance(v, dict)]
    return any(k in d for d in nested for k in _CREDENTIAL_JSON_KEYS)


@dataclass
class Policy:
    """Decides, for files below ``root``, whether they may ship and why not.

    ``.gitignore`` files are honoured from ``root`` down (nested ones too), like git does.
    """

    root: Path
    _rules: dict[Path, list[_IgnoreRule]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()

    def _rules_for(self, folder: Path) -> list[_IgnoreRule]:
        chain: list[_IgnoreRule] = []
        try:
            rel = folder.relative_to(self.root)
        except ValueError:
            return chain
        current = self.root
        for part in ("",) + rel.parts:
            current = current / part if part else current
            if current not in self._rules:
                self._rules[current] = _read_gitignore(current)
            chain.extend(self._rules[current])
        return chain

    def _gitignored(self, path: Path, is_dir: bool) -> str | None:
        verdict = None
        for rule in self._rules_for(path.parent):
            try:
                rel = path.relative_to(rule.base).as_posix()
            except ValueError:
                continue
            if rule.dir_only and not is_dir:
                # "build/" ignores the directory; files below are covered by the parent match.
                if not any(
                    rule.regex.match(p.as_posix()) for p in Path(rel).parents if str(p) != "."
                ):
                    continue
            if rule.regex.match(rel):
                verdict = None if rule.negate else f".gitignore: {rule.pattern}"
        return verdict

    def reason(self, path: Path) -> str | None:
        """Why ``path`` must not ship, or None when it may."""
        path = Path(path)
        name = path.name
        is_dir = path.is_dir()
        if is_dir:
            if name in _SKIP_DIRS:
                return _SKIP_DIRS[name]
            if _is_virtualenv(path):
                return "virtualenv"
            if (path / "beam_deps_manifest.json").is_file():
                return "beam-deps staging output"
            if _STAGING_TEMP.match(name):
                return "beam-deps staging in progress"
            if name.endswith(".egg-info") or name.endswith(".dist-info"):
                return "build metadata"
        else:
            for pattern, why in _SECRET_NAMES:
                if fnmatch.fnmatchcase(name.lower(), pattern):
                    return why
            for pattern, why in _JUNK_NAMES:
                if fnmatch.fnmatchcase(name, pattern):
                    return why
            if name.lower().endswith(".json") and _credential_json(path):
                return "credential JSON (holds a private key or secret)"
        return self._gitignored(path.resolve(), is_dir)

    def walk(self, top: Path) -> Iterator[tuple[Path, str | None]]:
        """Yield (path, reason) for files below ``top`` in sorted order; excluded folders are
        yielded once (not descended into)."""
        top = Path(top)
        for dirpath, dirnames, filenames in os.walk(top):
            here = Path(dirpath)
            keep = []
            for d in sorted(dirnames):
                why = self.reason(here / d)
                if why:
                    yield here / d, why
                else:
                    keep.append(d)
            dirnames[:] = keep
            for f in sorted(filenames):
                p = here / f
                if p.is_symlink() and not p.exists():
                    yield p, "broken symlink"
                    continue
                yield p, self.reason(p)
