"""Shared by the staging tests: the sample projects, their secrets, and a private cache."""

from __future__ import annotations

import contextlib
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


# ---------------------------------------------------------------------------- hygiene helpers
def cli(*args: str, cwd: Path, env: dict | None = None):
    """``beam-deps ARGS`` in a fresh interpreter, as a user runs it."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "beam_deps.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=dict(os.environ, **(env or {})),
    )


def git_init(folder: Path) -> Path:
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    return folder


def wheel_contents(out: Path) -> dict[str, bytes]:
    """Every member of every local wheel in a staging directory."""
    import zipfile

    members = {}
    for wheel in sorted((out / "wheels").glob("*.whl")):
        with zipfile.ZipFile(wheel) as zf:
            members.update({n: zf.read(n) for n in zf.namelist()})
    return members


@contextlib.contextmanager
def immutable(path: Path):
    """``chattr +i path`` for the duration: not even root can rename it or create entries in
    it. Skips when this process may not set the flag (not root, or the file system has no
    such flag)."""
    import subprocess

    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    proc = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot make a folder immutable here: {proc.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@contextlib.contextmanager
def unwritable_folder(path: Path):
    """A folder no entry can be created in: mode 0555 for a normal user; root ignores modes,
    so for root the folder is made immutable instead."""
    if os.geteuid() == 0:
        with immutable(path):
            yield path
        return
    mode = path.stat().st_mode
    path.chmod(0o555)
    try:
        yield path
    finally:
        path.chmod(mode)


def dev_venv(root: Path) -> Path:
    """A developer venv (its python) that sees this environment's packages, through a .pth
    that adds their site-packages as a site dir, plus whatever a test installs into it (an
    editable install, without touching the environment the tests run in)."""
    import subprocess
    import sys
    import sysconfig

    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed")
    venv = Path(root) / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    site = next((venv / "lib").glob("python*/site-packages"))
    parent = sysconfig.get_paths()["purelib"]
    (site / "zz_parent.pth").write_text(f"import site; site.addsitedir({parent!r})\n")
    return venv / "bin" / "python"


def stage_with(python: Path, script: Path, out: Path, timeout: float = 600) -> dict:
    """``beam_deps.staging.stage(script)`` run by another interpreter (a venv holding an
    editable or VCS install), returned as its JSON form."""
    import json
    import subprocess

    code = (
        "import json, sys\nfrom beam_deps.staging import stage\n"
        "s = stage(sys.argv[1], out=sys.argv[2])\nprint(json.dumps(s.to_json()))\n"
    )
    proc = subprocess.run(
        [str(python), "-c", code, str(script), str(out)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1])),
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pypi_reachable() -> bool:
    """Tests that download from the package index skip, not fail, where it is unreachable."""
    import socket

    try:
        socket.create_connection(("pypi.org", 443), timeout=3).close()
        return True
    except OSError:
        return False
