"""Content-hash cache: staging unchanged inputs again reuses the previous result.

Staging runs the script, maps modules and builds wheels: seconds. Re-staging the same code
in the same environment (the common case: `beam-deps run` before every submission) must be
instant, so the result is stored under a key computed WITHOUT running anything: the script,
the local files its imports reach (AST walk), the ignore rules that decide which of them ship,
the options, and the installed distributions. Files only discovered while staging (runtime
imports, the project tree, editable sources) are recorded in the entry with their hashes and
the ignore rules that let them ship, and re-checked on lookup, so a change to any of them is
a miss too. Stored files are copies (never hard links, which would let an edit of one staging
change the cache and the others) verified by size/mtime, falling back to sha256, so a
corrupted entry is detected and dropped rather than shipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata as md
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beam_deps.hashing import sha256_file

ENTRY_VERSION = 2  # 2: entries record the environment variables the script read
EVERYTHING = "*"  # in a set of variable names: the whole environment was read


def cache_root() -> Path:
    """beam-deps' cache root, shared with the worker boot (its environments go in ``envs/``)."""
    from beam_deps.cache_dirs import cache_home

    return cache_home()


def _stage_dir() -> Path:
    return cache_root() / "stage"


def digest_files(files: list[Path]) -> dict[str, str]:
    out = {}
    for f in sorted(set(files)):
        try:
            out[str(f)] = sha256_file(f)
        except OSError:
            out[str(f)] = "missing"
    return out


def environment_signature(path: list[str] | None = None) -> list[list[str]]:
    """Every importable distribution's metadata folder (its name carries name and version),
    the folder's mtime (changes on reinstall) and its PEP 610 origin. No METADATA parsing:
    this runs on every warm stage."""
    sig = []
    for dist in md.distributions(path=list(sys.path if path is None else path)):
        where = getattr(dist, "_path", None)
        try:
            stamp = str(os.stat(where).st_mtime_ns) if where else ""
        except OSError:
            stamp = ""
        origin = dist.read_text("direct_url.json") or ""
        sig.append([str(where), stamp, origin])
    return sorted(sig)


def key(parts: dict[str, Any]) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


@dataclass
class Entry:
    path: Path
    result: dict[str, Any]

    @property
    def out(self) -> Path:
        return self.path / "out"


def _stats(root: Path) -> dict[str, list[int]]:
    stats = {}
    for f in sorted(root.rglob("*")):
        if f.is_file():
            st = f.stat()
            stats[f.relative_to(root).as_posix()] = [st.st_size, st.st_mtime_ns]
    return stats


def lookup(cache_key: str) -> Entry | None:
    """The entry for ``cache_key`` if it exists and everything it depends on is unchanged."""
    path = _stage_dir() / cache_key
    try:
        result = json.loads((path / "entry.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if result.get("entry_version") != ENTRY_VERSION:
        return None
    if digest_files([Path(p) for p in result.get("depends", {})]) != result.get("depends", {}):
        return None
    if digest_environ(result.get("environ", {})) != result.get("environ", {}):
        return None
    entry = Entry(path, result)
    if _stats(entry.out) != result.get("stats"):
        from beam_deps.staging import manifest

        if manifest.verify(entry.out):
            discard(cache_key)
            return None
    return entry


def digest_environ(names) -> dict[str, str | None]:
    """Each variable's value as a digest (None: unset), so the entry holds no secret."""
    out = {}
    for name in sorted(names):
        value = os.environ.get(name)
        out[name] = None if value is None else hashlib.sha256(value.encode()).hexdigest()
    return out


def store(
    cache_key: str,
    out: Path,
    result: dict[str, Any],
    depends: list[Path],
    environ: set[str] = frozenset(),
) -> None:
    """Keep a copy of a finished staging directory, valid while the files it ``depends`` on
    and the ``environ`` variables the script read are unchanged. Nothing is kept when the
    script read the whole environment. Failures only cost the cache, never the staging."""
    if EVERYTHING in environ:
        return
    root = _stage_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
        try:
            copy_tree(out, tmp / "out")
            depends = list(depends) + _ignore_rules(depends)
            data = dict(result, entry_version=ENTRY_VERSION, depends=digest_files(depends))
            data["environ"] = digest_environ(environ)
            data["stats"] = _stats(tmp / "out")
            (tmp / "entry.json").write_text(json.dumps(data, indent=1, sort_keys=True))
            final = root / cache_key
            if final.exists():
                shutil.rmtree(final, ignore_errors=True)
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    except OSError:
        return


def _ignore_rules(depends: list[Path]) -> list[Path]:
    """The ignore rules that let the files found while staging ship (an editable install's
    source, the project tree): once a rule ignores one of them, the entry is stale."""
    from beam_deps.staging.exclusions import rule_files

    return rule_files(sorted({Path(p).parent for p in depends}))


def discard(cache_key: str) -> None:
    shutil.rmtree(_stage_dir() / cache_key, ignore_errors=True)


def copy_tree(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest``, file by file (times kept: lookups compare them).

    Never hard links: a staging directory is the user's to edit, and a link would carry an
    edit into the cache entry and into every other staging built from the same inputs."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.rglob("*")):
        target = dest / f.relative_to(src)
        if f.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)


def clear() -> None:
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(_stage_dir())
