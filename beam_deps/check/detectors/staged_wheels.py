"""Wheels of the local code a pipeline stages, built as a worker would install it, and cached.

With ``--setup_file`` Beam builds an sdist of the project and every worker pip-installs it;
an sdist ``--extra_package`` is pip-installed the same way. What a worker then has is what
the project *declares* (``py_modules``, ``packages``, package discovery) plus its declared
dependencies, not every file beside ``setup.py``. Building the wheel is the only faithful
way to know both, but it takes seconds, so ``beam-deps check`` keeps each wheel under the
cache root, keyed by the hashes of the files it was built from: a repeat run only hashes.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import shutil
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

from beam_deps.hashing import sha256_file
from beam_deps.staging.cache import cache_root, key
from beam_deps.staging.errors import StagingError
from beam_deps.staging.exclusions import Policy
from beam_deps.staging.local_code import build_project, is_project, run_build, wheel_metadata

CACHE_VERSION = 1


def _folder() -> Path:
    return cache_root() / "check-wheels"


def _backend() -> list[str]:
    """What the built wheel also depends on: this Python and the local build backend."""
    versions = []
    for name in ("setuptools", "wheel", "build"):
        try:
            versions.append(f"{name}=={md.version(name)}")
        except md.PackageNotFoundError:
            versions.append(f"{name} missing")
    return [sys.implementation.cache_tag, *versions]


def _project_key(root: Path) -> str:
    """Hashes of exactly the files ``build_project`` copies (same exclusion policy)."""
    files = {
        path.relative_to(root).as_posix(): sha256_file(path)
        for path, why in Policy(root).walk(root)
        if not why and path.is_file()
    }
    return key({"v": CACHE_VERSION, "kind": "project", "files": files, "env": _backend()})


def _cached(cache_key: str) -> Path | None:
    wheels = sorted((_folder() / cache_key).glob("*.whl"))
    return wheels[0] if len(wheels) == 1 else None


def _keep(cache_key: str, wheel: Path) -> Path:
    """Move a fresh wheel into its cache entry atomically; a concurrent run's entry wins."""
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder))
    try:
        shutil.move(wheel, tmp / wheel.name)
        (tmp / "entry.json").write_text(json.dumps({"v": CACHE_VERSION, "wheel": wheel.name}))
        try:
            os.replace(tmp, folder / cache_key)
        except OSError:
            pass  # another check stored it first
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    kept = _cached(cache_key)
    if kept is None:
        raise StagingError(f"could not keep the built wheel in {folder / cache_key}")
    return kept


def project_wheel(root: Path) -> Path:
    """The wheel of the ``--setup_file`` project in ``root``, built once per content.

    Raises ``StagingError`` when the project cannot be built (its message says why).
    """
    root = root.resolve()
    if not is_project(root):
        raise StagingError(f"{root} has no setup.py or pyproject.toml declaring a project")
    cache_key = _project_key(root)
    hit = _cached(cache_key)
    if hit is not None:
        return hit
    with tempfile.TemporaryDirectory(prefix="beam-deps-check-") as tmp:
        wheel, _, _ = build_project(root, Path(tmp), None, f"the --setup_file project {root}")
        return _keep(cache_key, wheel)


def _extract(sdist: Path, dest: Path) -> Path:
    """Unpack an sdist safely and return its project folder (the archive's single top dir)."""
    if zipfile.is_zipfile(sdist):
        with zipfile.ZipFile(sdist) as zf:
            zf.extractall(dest)  # zipfile drops absolute paths and ".."
    else:
        try:
            with tarfile.open(sdist) as tf:
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(dest, filter="data")
                else:  # Python without PEP 706: refuse anything leaving dest
                    for member in tf.getmembers():
                        target = (dest / member.name).resolve()
                        if not target.is_relative_to(dest.resolve()) or member.issym():
                            raise StagingError(f"{sdist} holds an unsafe path: {member.name}")
                    tf.extractall(dest)
        except (tarfile.TarError, OSError) as exc:
            raise StagingError(f"{sdist} is not a readable sdist: {exc}") from exc
    children = [c for c in dest.iterdir() if c.is_dir()]
    src = children[0] if len(children) == 1 and not is_project(dest) else dest
    if not is_project(src):
        raise StagingError(f"{sdist} holds no setup.py or pyproject.toml")
    return src


def sdist_wheel(sdist: Path) -> Path:
    """The wheel pip would build from an sdist ``--extra_package``, built once per content.

    The sdist is unpacked first so an installed build backend is used offline, as for
    projects; raises ``StagingError`` when it cannot be built.
    """
    sdist = sdist.resolve()
    cache_key = key(
        {"v": CACHE_VERSION, "kind": "sdist", "sha256": sha256_file(sdist), "env": _backend()}
    )
    hit = _cached(cache_key)
    if hit is not None:
        return hit
    with tempfile.TemporaryDirectory(prefix="beam-deps-check-") as tmp:
        src = _extract(sdist, Path(tmp) / "src")
        wheel, _ = run_build(src, Path(tmp) / "out", f"the extra package {sdist}", origin=sdist)
        return _keep(cache_key, wheel)


def wheel_requirements(wheel: Path) -> list[str]:
    """Distribution names a wheel's ``Requires-Dist`` makes pip install with it here (no
    extras; environment markers evaluated for this interpreter, like the worker's)."""
    try:
        return installed_with(wheel_metadata(wheel)[2])
    except (OSError, zipfile.BadZipFile, StagingError):
        return []


def installed_with(requires: Iterable[str]) -> list[str]:
    """Names in ``Requires-Dist`` lines that pip installs along (no extras; markers
    evaluated for this interpreter, like the worker's)."""
    from packaging.requirements import InvalidRequirement, Requirement

    names = []
    for line in requires:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            names.append(req.name)
    return names
