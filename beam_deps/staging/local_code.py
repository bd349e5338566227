"""Local code as wheels: the user's project, loose modules next to a script, and snapshots
of editable or local-folder installs.

Workers should install a wheel, never build one: Beam's ``--setup_file`` ships an sdist that
every worker builds at start-up (and that needs setuptools there). A project with
``setup.py``/``pyproject.toml`` is built with PyPA ``build`` in a temporary copy of the
project, so nothing (no ``build/``, no ``*.egg-info``) is written into the user's tree and
nothing the exclusion policy rejects (secrets, venvs, git history) can end up in it. Loose
modules are zipped straight into a wheel. Every archive is normalised to be reproducible.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from beam_deps.staging import archives
from beam_deps.staging.errors import StagingError
from beam_deps.staging.exclusions import Exclusion, Policy

PROJECT_FILES = ("pyproject.toml", "setup.py")


def is_project(folder: Path) -> bool:
    """A folder PyPA build can build: setup.py, or a pyproject.toml that declares a project."""
    if (folder / "setup.py").is_file():
        return True
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return False
    text = pyproject.read_text(encoding="utf-8", errors="replace")
    return "[project]" in text or "[build-system]" in text


# ---------------------------------------------------------------------------- loose modules
def loose_files(
    modules: dict[str, Path], root: Path, policy: Policy
) -> tuple[dict[str, Path], list[Exclusion]]:
    """Arcname -> file for local modules/packages, with what the policy left out."""
    files: dict[str, Path] = {}
    excluded: list[Exclusion] = []
    for _top, location in sorted(modules.items()):
        if location.is_dir():
            for path, why in policy.walk(location):
                if why:
                    excluded.append(Exclusion(path, why))
                elif path.is_file():
                    files[path.relative_to(location.parent).as_posix()] = path
        elif location.is_file():
            why = policy.reason(location)
            if why:
                excluded.append(Exclusion(location, why))
            else:
                files[location.name] = location
    return files, excluded


def content_version(files: dict[str, Path]) -> str:
    """0.0.0+<hash of the contents>: a new version whenever the code changes, so a worker
    never keeps a stale copy installed under the same version."""
    h = hashlib.sha256()
    for arcname in sorted(files):
        h.update(arcname.encode() + b"\0" + files[arcname].read_bytes() + b"\0")
    return f"0.0.0+{h.hexdigest()[:12]}"


def build_loose_wheel(name: str, files: dict[str, Path], out_dir: Path) -> Path:
    tops = {a.split("/", 1)[0].removesuffix(".py") for a in files}
    return archives.build_wheel(
        out_dir,
        name,
        content_version(files),
        files,
        summary="Local modules of a Beam pipeline, packaged by beam-deps",
        top_level=tops,
    )


# ---------------------------------------------------------------------------- projects
def copy_project(root: Path, dest: Path, policy: Policy) -> list[Exclusion]:
    """Copy what may ship from ``root`` to ``dest``; return what was left out and why."""
    excluded = []
    for path, why in policy.walk(root):
        if why:
            excluded.append(Exclusion(path, why))
            continue
        if not path.is_file():
            continue
        target = dest / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        if os.access(path, os.X_OK):
            target.chmod(0o755)
    return excluded


def _build_requires(src: Path) -> list[str]:
    pyproject = src / "pyproject.toml"
    default = ["setuptools>=40.8.0", "wheel"]
    if not pyproject.is_file():
        return default
    try:
        import tomllib
    except ImportError:  # Python 3.10
        return ["<unknown>"]
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError):
        return ["<unknown>"]
    system = data.get("build-system")
    if not system:
        return default
    return list(system.get("requires", []))


def _satisfied_here(requires: list[str]) -> bool:
    """Build in this environment (fast, offline) when it already has the build backend."""
    from packaging.requirements import InvalidRequirement, Requirement

    for line in requires:
        try:
            req = Requirement(line)
            version = md.version(req.name)
        except (InvalidRequirement, md.PackageNotFoundError):
            return False
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            return False
    return True


def _isolation_args() -> list[str]:
    try:
        import uv  # noqa: F401

        return ["--installer", "uv"]
    except ImportError:
        return ["--installer", "uv"] if shutil.which("uv") else []


def run_build(
    src: Path, out_dir: Path, label: str, origin: Path | None = None, work: Path | None = None
) -> tuple[Path, Path | None]:
    """Build an sdist and a wheel of ``src`` with PyPA build; return (wheel, sdist).

    When this environment already has the build backend, build without isolation (fast,
    offline); if that fails (a backend may ask for more, e.g. setuptools wanting ``wheel``),
    build again in an isolated environment.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    build_dir = Path(tempfile.mkdtemp(prefix="beam-deps-build-", dir=work))
    try:
        base = [sys.executable, "-m", "build", "--outdir", str(build_dir)]
        if src.is_file():
            base.append("--wheel")  # an sdist: build the wheel from it
        attempts = [base + _isolation_args()]
        if src.is_dir() and _satisfied_here(_build_requires(src)):
            attempts.insert(0, base + ["--no-isolation"])
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(archives.source_date_epoch()))
        env.pop("PYTHONPATH", None)
        for cmd in attempts:
            proc = subprocess.run(
                cmd + [str(src)], capture_output=True, text=True, env=env, cwd=build_dir
            )
            if proc.returncode == 0:
                break
            for leftover in build_dir.iterdir():
                leftover.unlink()
        if proc.returncode != 0:
            lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
            tail = next(
                (ln.strip() for ln in reversed(lines) if "error" in ln.lower()),
                lines[-1].strip() if lines else "no output",
            )
            raise StagingError(
                f"building {label} with PyPA build failed: {tail[:300]}; run "
                f"`python -m build {origin or src}` to see the full output and fix the project"
            )
        wheels = sorted(build_dir.glob("*.whl"))
        sdists = sorted(build_dir.glob("*.tar.gz"))
        if not wheels:
            raise StagingError(f"building {label} produced no wheel; check its build backend")
        wheel = out_dir / wheels[0].name
        shutil.move(wheels[0], wheel)
        archives.normalize_wheel(wheel)
        sdist = None
        if sdists:
            sdist = out_dir / sdists[0].name
            shutil.move(sdists[0], sdist)
            archives.normalize_sdist(sdist)
        return wheel, sdist
    finally:
        shutil.rmtree(build_dir, ignore_errors=True)


def build_project(
    root: Path, wheel_dir: Path, sdist_dir: Path | None, label: str, work: Path | None = None
) -> tuple[Path, Path | None, list[Exclusion]]:
    """Build ``root`` from a filtered temporary copy (the user's tree is never written)."""
    policy = Policy(root)
    with tempfile.TemporaryDirectory(prefix="beam-deps-src-", dir=work) as tmp:
        src = Path(tmp) / root.name
        src.mkdir()
        excluded = copy_project(root, src, policy)
        wheel, sdist = run_build(src, wheel_dir, label, origin=root, work=work)
    if sdist is not None:
        if sdist_dir is None:
            sdist.unlink()
            sdist = None
        else:
            sdist_dir.mkdir(parents=True, exist_ok=True)
            moved = sdist_dir / sdist.name
            shutil.move(sdist, moved)
            sdist = moved
    return wheel, sdist, excluded


def wheel_members(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return [
            n for n in zf.namelist() if not n.split("/", 1)[0].endswith((".dist-info", ".data"))
        ]


def wheel_top_levels(wheel: Path) -> set[str]:
    return {n.split("/", 1)[0].removesuffix(".py") for n in wheel_members(wheel)}


def wheel_metadata(wheel: Path) -> tuple[str, str, list[str]]:
    """(Name, Version, Requires-Dist lines) from a wheel's ``.dist-info/METADATA``: what pip
    would install with it, markers and extras unevaluated."""
    from email.parser import HeaderParser

    with zipfile.ZipFile(wheel) as zf:
        names = [
            n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
        ]
        if not names:
            raise StagingError(f"{wheel.name} has no .dist-info/METADATA; check its build backend")
        meta = HeaderParser().parsestr(zf.read(names[0]).decode("utf-8", errors="replace"))
    return meta["Name"] or "", meta["Version"] or "", list(meta.get_all("Requires-Dist") or [])


# ---------------------------------------------------------------------------- installed dists
def repack_installed(dist: md.Distribution, out_dir: Path) -> Path:
    """A wheel rebuilt from an installed distribution's files (its RECORD): used when a local
    install's source is gone. Only files inside the install location are taken."""
    name = dist.metadata["Name"]
    files: dict[str, Path] = {}
    base = Path(dist.locate_file("")).resolve()
    for f in dist.files or ():
        path = Path(dist.locate_file(f)).resolve()
        rel = str(f)
        if rel.startswith("..") or not path.is_file() or "__pycache__" in rel:
            continue
        if not path.is_relative_to(base):
            continue
        if rel.split("/", 1)[0].endswith(".dist-info"):
            continue  # build_wheel writes fresh metadata
        files[rel] = path
    wheel = archives.build_wheel(
        out_dir,
        name,
        dist.version,
        files,
        summary=dist.metadata.get("Summary", "") or "",
        requires=list(dist.requires or ()),
        top_level=(dist.read_text("top_level.txt") or "").split(),
    )
    return wheel
