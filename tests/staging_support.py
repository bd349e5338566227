"""Shared by the staging tests: the sample projects, their secrets, and a private cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "staging_fixtures"


@pytest.fixture(scope="module", autouse=True)
def cache_dir(tmp_path_factory):
    """Every staging test module uses its own staging cache, never the user's."""
    path = tmp_path_factory.mktemp("cache")
    old = os.environ.get("BEAM_DEPS_CACHE_DIR")
    os.environ["BEAM_DEPS_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("BEAM_DEPS_CACHE_DIR", None)
    else:
        os.environ["BEAM_DEPS_CACHE_DIR"] = old


def copy_fixture(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(FIXTURES / name, target, ignore=shutil.ignore_patterns("__pycache__"))
    return add_secrets(target)


def add_secrets(project: Path) -> Path:
    """Files that must never ship. Written at test time rather than kept in the fixture: the
    fixture's own .gitignore would keep one of them out of git, and secret scanners flag the
    others."""
    (project / ".env").write_text("API_TOKEN=not-a-real-token-but-must-not-ship\n")
    (project / "mylib" / "server.pem").write_text(
        "-----BEGIN PRIVATE KEY-----\nnot a real key\n-----END PRIVATE KEY-----\n"
    )
    (project / "mylib" / "local_settings.py").write_text('PASSWORD = "hunter2"\n')
    return project


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
