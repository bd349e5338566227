"""Build one worker environment from an `InstallPlan`: uv when the image has it, pip otherwise.

A manifest plan installs with ``--no-deps`` (staging already resolved the closure minus the
worker image) from a private folder holding only the verified wheels (``--find-links``; never
Beam's flat staged folder, where an unverified file could satisfy a pin). When every
requirement has a staged wheel that is all (``--no-index``: offline). Otherwise the staged
wheels are installed offline first and the remaining requirements come from the package
index, as Beam's own boot would fetch them. The result is then checked against what the env
and image really contain, so a missing dependency fails the boot with a name instead of
failing a bundle later with an ImportError. A plan made from Beam's own artifacts keeps Beam's
semantics: dependencies are resolved, offline first, then from the index the way Beam's
container boot does.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from beam_deps.boot.env_cache import python_of, site_packages_of, write_layer
from beam_deps.boot.errors import BootError
from beam_deps.boot.plan import InstallPlan

INSTALLER_ENV = "BEAM_DEPS_INSTALLER"
PRIVATE_LINKS = ".beam-deps-verified-wheels"  # inside the env being built; removed after


@dataclass(frozen=True)
class Installer:
    name: str  # "uv" or "pip"
    command: tuple[str, ...]  # prefix that runs it


def find_installer(preference: str | None = None) -> Installer:
    """uv (the ``beam-deps[uv]`` extra or on PATH) when available, else pip."""
    preference = (preference or os.environ.get(INSTALLER_ENV) or "auto").lower()
    if preference in ("auto", "uv"):
        uv = _find_uv()
        if uv:
            return Installer("uv", (uv,))
        if preference == "uv":
            raise BootError(
                "BD504",
                "--installer=uv but uv is not installed in the worker image",
                "install beam-deps[uv] in the image, or use --installer=pip",
            )
    if importlib.util.find_spec("pip") is None:
        raise BootError(
            "BD504",
            f"neither uv nor pip is available to {sys.executable}",
            "install beam-deps[uv] (or pip) in the worker image",
        )
    return Installer("pip", (sys.executable, "-m", "pip"))


def _find_uv() -> str | None:
    try:
        from uv import find_uv_bin  # the PyPI `uv` package ships the binary

        return find_uv_bin()
    except Exception:
        return shutil.which("uv")


def build_env(
    env: Path,
    plan: InstallPlan,
    installer: Installer,
    *,
    uv_cache: Path | None,
) -> dict:
    """Create the layered venv at ``env`` and install ``plan`` into it; return marker facts."""
    started = time.perf_counter()
    environ = dict(os.environ)
    environ.pop("PYTHONPATH", None)  # the installer must see the env, not the caller's path
    if uv_cache is not None:
        environ.setdefault("UV_CACHE_DIR", str(uv_cache))
    _run(_venv_command(env, installer), "create the environment", environ)
    write_layer(env)
    target = str(python_of(env))
    links = plan.find_links
    if plan.source == "manifest":
        links = [verified_links(env / PRIVATE_LINKS, plan.wheels)] if plan.wheels else []
    for step in _install_steps(plan, installer, target, links):
        _run(step, "install the staged packages", environ)
    shutil.rmtree(env / PRIVATE_LINKS, ignore_errors=True)
    if plan.source == "manifest":
        problems = unmet_dependencies(env)
        if problems:
            raise BootError(
                "BD504",
                "the staged packages need what neither the staging nor the worker image "
                f"provides: {'; '.join(problems[:5])}",
                "stage again (beam-deps stage resolves the closure against the worker image) "
                "or add the package to the image",
            )
    return {
        "installer": installer.name,
        "source": plan.source,
        "installed": sorted(_installed_names(env)),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _venv_command(env: Path, installer: Installer) -> list[str]:
    if installer.name == "uv":
        return [*installer.command, "venv", "--quiet", "--python", sys.executable, str(env)]
    return [sys.executable, "-m", "venv", "--without-pip", str(env)]


def verified_links(folder: Path, wheels: list[Path]) -> Path:
    """A find-links folder holding exactly the verified wheels (hard links; copies across
    file systems). The first wheel of a name wins: staging never ships two different ones."""
    folder.mkdir(parents=True, exist_ok=True)
    for wheel in wheels:
        target = folder / wheel.name
        if target.exists():
            continue
        try:
            os.link(wheel, target)
        except OSError:
            shutil.copyfile(wheel, target)
    return folder


def _install_steps(
    plan: InstallPlan, installer: Installer, target: str, find_links: list[Path]
) -> list[list[str]]:
    if installer.name == "uv":
        base = [*installer.command, "pip", "install", "--python", target, "--quiet"]
    else:
        base = [
            *installer.command,
            "--python",
            target,
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--no-warn-script-location",
        ]
    links: list[str] = []
    for d in find_links:
        links += ["--find-links", str(d)]
    sources: list[str] = []
    for req in plan.requirements:
        sources += ["-r", str(req)]
    packages = [str(p) for p in plan.packages]
    if plan.needs_build:
        base.append("--no-build-isolation")  # offline: build with the image's setuptools
    if plan.no_deps and not plan.from_index:
        return [[*base, "--no-index", "--no-deps", *links, *sources, *packages]]
    if plan.no_deps:
        # Some requirements have no staged wheel: what is staged goes in offline (so a pin is
        # always satisfied by the verified wheel), then the requirement files with the index
        # allowed; the lines already satisfied are left alone.
        offline = [*plan.staged_requirements, *packages]
        steps = [[*base, "--no-index", "--no-deps", *links, *offline]] if offline else []
        return [*steps, [*base, "--no-deps", *links, *sources]]
    # Beam's order and semantics: requirements (offline, then resolving deps), then each
    # extra package in the order staged, then the workflow sdist.
    steps = []
    if sources:
        steps.append([*base, "--no-index", "--no-deps", *links, *sources])
        steps.append([*base, *links, *sources])
    for pkg in packages:
        steps.append([*base, *links, pkg])
    return steps


def _die_with_parent() -> None:
    """Linux: the installer is killed when the boot is (a worker killed mid-install must not
    leave pip writing into an environment the next boot rebuilds)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _run(command: Sequence[str], what: str, environ: dict) -> None:
    try:
        proc = subprocess.run(
            list(command),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=environ,
            preexec_fn=_die_with_parent,
        )
    except OSError as exc:
        raise BootError("BD504", f"could not {what}: {command[0]}: {exc.strerror}") from None
    if proc.returncode != 0:
        raise BootError("BD504", f"could not {what}: {_first_error(proc.stderr or proc.stdout)}")


def _first_error(output: str) -> str:
    """The installer's own explanation, squeezed onto one line."""
    lines = [ln.strip() for ln in output.strip().splitlines() if ln.strip()]
    if not lines:
        return "the installer failed without a message"
    for i, ln in enumerate(lines):
        if ln.lower().startswith(("error", "×", "x ")) or "error:" in ln.lower():
            return " ".join(lines[i : i + 4])[:600]
    return " ".join(lines[-4:])[:600]


def _installed_names(env: Path) -> list[str]:
    from importlib.metadata import distributions

    return [
        f"{d.metadata['Name']}=={d.version}"
        for d in distributions(path=[str(site_packages_of(env))])
        if d.metadata["Name"]
    ]


def unmet_dependencies(env: Path) -> list[str]:
    """Requirements of the env's packages that neither the env nor the image satisfies.

    A ``pip check`` limited to what was just installed, done in this process (reading metadata
    is cheap; starting pip is not): the env's site-packages first, then the image's path.
    """
    from importlib.metadata import distributions

    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    env_site = str(site_packages_of(env))
    visible: dict[str, str] = {}
    for dist in distributions(path=[env_site, *sys.path]):
        name = dist.metadata["Name"]
        if name:
            visible.setdefault(canonicalize_name(name), dist.version)
    problems = []
    for dist in distributions(path=[env_site]):
        for line in dist.requires or []:
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            have = visible.get(canonicalize_name(req.name))
            if have is None:
                problems.append(f"{dist.metadata['Name']} {dist.version} needs {req}, missing")
            elif req.specifier and not req.specifier.contains(have, prereleases=True):
                problems.append(
                    f"{dist.metadata['Name']} {dist.version} needs {req}, the worker has {have}"
                )
    return problems
