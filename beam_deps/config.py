"""``[tool.beam-deps]`` in pyproject.toml, found upward from the script as ruff finds its own.

Settings (keys as ruff spells its own, kebab-case)::

    [tool.beam-deps]
    select = ["BD1", "BD401"]            # codes, prefixes or rule names
    ignore = ["lock-recreated"]
    per-file-ignores = { "notebooks/*.py" = ["BD203"] }
    worker-image = "apache/beam_python3.11_sdk:2.77.0"
    worker-python = "3.11"
    worker-requirements = "worker-freeze.txt"   # relative to the pyproject.toml
    fail-on = "warning"                  # "error" (default) or "warning"
    out = "beam-deps-staging"            # stage's output folder, relative to the pyproject.toml

The command line wins over every key. A pyproject.toml without the table is skipped (the
search goes on upward), as ruff does with ``[tool.ruff]``.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beam_deps.errors import UsageError

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10 (tomli comes with `build`)
    import tomli as tomllib  # type: ignore[no-redef]

KEYS = frozenset(
    {
        "select",
        "ignore",
        "per-file-ignores",
        "worker-image",
        "worker-python",
        "worker-requirements",
        "fail-on",
        "out",
    }
)


@dataclass
class Config:
    """The settings that apply to one script; empty when no pyproject.toml has the table."""

    path: Path | None = None
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    worker_image: str | None = None
    worker_python: str | None = None
    worker_requirements: str | None = None
    fail_on: str = "error"
    out: str | None = None

    def ignored_for(self, file: str | os.PathLike) -> list[str]:
        """Codes ``per-file-ignores`` drops for ``file`` (patterns relative to the pyproject)."""
        if self.path is None:
            return []
        root = self.path.parent
        try:
            relative = Path(os.path.abspath(file)).relative_to(root).as_posix()
        except ValueError:
            relative = Path(file).name
        out: list[str] = []
        for pattern, codes in self.per_file_ignores.items():
            if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(Path(relative).name, pattern):
                out.extend(codes)
        return out


def find_pyproject(start: str | os.PathLike) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a ``[tool.beam-deps]`` table."""
    here = Path(os.path.abspath(start))
    folder = here if here.is_dir() else here.parent
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and "beam-deps" in _read(pyproject).get("tool", {}):
            return pyproject
    return None


def load_config(start: str | os.PathLike) -> Config:
    """The configuration for a script (or folder): UsageError naming the key when it is bad."""
    pyproject = find_pyproject(start)
    if pyproject is None:
        return Config()
    table = _read(pyproject)["tool"]["beam-deps"]
    where = f"{pyproject} [tool.beam-deps]"
    if not isinstance(table, dict):
        raise UsageError(f"{where} must be a table")
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise UsageError(
            f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(KEYS))}"
        )
    fail_on = table.get("fail-on", "error")
    if fail_on not in ("error", "warning"):
        raise UsageError(f'{where}: fail-on must be "error" or "warning", got {fail_on!r}')
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise UsageError(f"{where}: per-file-ignores must be a table of pattern = [codes]")
    return Config(
        path=pyproject,
        select=rule_codes(table.get("select", []), f"{where} select"),
        ignore=rule_codes(table.get("ignore", []), f"{where} ignore"),
        per_file_ignores={
            str(k): rule_codes(v, f"{where} per-file-ignores {k!r}") for k, v in per_file.items()
        },
        worker_image=_string(table, "worker-image", where),
        worker_python=_string(table, "worker-python", where),
        worker_requirements=_path(table, "worker-requirements", where, pyproject.parent),
        fail_on=fail_on,
        out=_path(table, "out", where, pyproject.parent),
    )


def rule_codes(values: Any, where: str) -> list[str]:
    """Codes, code prefixes or rule names (``lock-recreated``) as codes; a typo is an error."""
    from beam_deps.catalogue import all_rules

    if isinstance(values, str):
        values = values.split(",")
    if not isinstance(values, list):
        raise UsageError(f'{where}: give a list of codes, e.g. ["BD1", "BD401"]')
    rules = all_rules()
    by_name = {r.name.lower(): r.code for r in rules}
    out = []
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        code = by_name.get(text.lower(), text.upper())
        if not any(r.code.startswith(code) for r in rules):
            raise UsageError(
                f"{where} {code}: no diagnostic code starts with {code!r}; "
                "`beam-deps explain --list` lists them"
            )
        out.append(code)
    return out


def _read(pyproject: Path) -> dict[str, Any]:
    try:
        with open(pyproject, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{pyproject}: not valid TOML ({exc}); fix the file") from None
    except OSError:
        return {}


def _string(table: dict[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise UsageError(f"{where}: {key} must be a string")
    return value


def _path(table: dict[str, Any], key: str, where: str, root: Path) -> str | None:
    value = _string(table, key, where)
    return None if value is None else str(root / value)


__all__ = ["Config", "find_pyproject", "load_config", "rule_codes"]
