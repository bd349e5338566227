"""Build one worker environment from an `InstallPlan`: uv when the image has it, pip otherwise.

The installer never reads the staged folder: every file it may read is first copied into a
private folder inside the environment being built, and each copy's sha256 must be the one
the plan verified (BD501 otherwise), so a file swapped after verification is not installed.
Under a manifest the requirements it reads are a private file of the accepted lines.

A manifest plan installs with ``--no-deps`` (staging already resolved the closure minus the
worker image) from the verified wheels (``--find-links`` of the private folder). When every
requirement has a staged wheel that is all (``--no-index``: offline). Otherwise the staged
wheels are installed offline first and the remaining requirements come from the package
index, as Beam's own boot would fetch them. The result is then checked against what the env
and image really contain, so a missing dependency fails the boot with a name instead of
failing a bundle later with an ImportError. A plan made from Beam's own artifacts keeps Beam's
semantics: an offline pass that may fail, then the index with dependencies resolved, then each
extra package in order.

The installer is the boot's direct child and dies with it (`_die_with_parent`). pip runs
under the environment's interpreter through pip's own ``__pip-runner__.py``, not through
``pip --python``, which starts a second pip (a grandchild the parent-death signal does not
reach) that would go on writing into the environment after the boot was killed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from beam_deps.boot.env_cache import python_of, site_packages_of, write_layer
from beam_deps.boot.errors import BootError
from beam_deps.boot.plan import InstallPlan, Verified

INSTALLER_ENV = "BEAM_DEPS_INSTALLER"
PRIVATE = ".beam-deps-private"  # inside the env being built; removed after the install


@dataclass(frozen=True)
class Installer:
    name: str  # "uv" or "pip"
    command: tuple[str, ...]  # uv: its binary; pip: its runner script, run by the env's python


@dataclass(frozen=True)
class Step:
    command: list[str]
    optional: bool = False  # Beam's offline pass: failing it means "try the index"


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
    spec = importlib.util.find_spec("pip")
    if spec is None or not spec.origin:
        raise BootError(
            "BD504",
            f"neither uv nor pip is available to {sys.executable}",
            "install beam-deps[uv] (or pip) in the worker image",
        )
    runner = Path(spec.origin).parent / "__pip-runner__.py"
    if not runner.is_file():
        raise BootError(
            "BD504",
            f"the worker image's pip ({Path(spec.origin).parent}) cannot install into another "
            "environment (it has no __pip-runner__.py)",
            "install pip>=22.3 or beam-deps[uv] in the worker image",
        )
    return Installer("pip", (str(runner),))


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
    log: Callable[[str], None],
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
    private = env / PRIVATE
    links = private_copies(plan.files, private / "links")
    requirements = None
    if plan.source == "manifest" and plan.from_index:
        requirements = private / "requirements.txt"
        requirements.write_text("".join(f"{a.line}\n" for a in plan.accepted), encoding="utf-8")
    hidden = plan.outside
    for step in _install_steps(plan, installer, target, links, requirements):
        try:
            _run(step.command, "install the staged packages", environ, hidden=hidden)
        except BootError:
            if not step.optional:
                raise
            log(
                "some requirements are not staged as files; installing them with the package "
                "index allowed, as Beam's boot does"
            )
    shutil.rmtree(private, ignore_errors=True)
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


def private_copies(files: list[Verified], folder: Path) -> Path:
    """Copy ``files`` into ``folder`` (inside the environment being built, which only this
    user can write) and check each copy's sha256 against the one verified: the installer then
    reads exactly the bytes that were checked, whatever happens to the staged folder. Copies,
    never hard links (a link would share the staged file's later changes). The first file of
    a name wins: staging never ships two different ones."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.parent.chmod(0o700)
    for verified in files:
        target = folder / verified.name
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with open(verified.path, "rb") as src, open(target, "xb") as out:
            while block := src.read(1 << 20):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != verified.sha256:
            raise BootError(
                "BD501",
                f"staged file {verified.path} changed after it was verified (sha256 now "
                f"{digest.hexdigest()[:12]}..., verified {verified.sha256[:12]}...); nothing "
                "was installed",
                "make the staged folder writable only by the worker's user, then restart "
                "the worker",
            )
    return folder


def _install_steps(
    plan: InstallPlan,
    installer: Installer,
    target: str,
    links: Path,
    requirements: Path | None,
) -> list[Step]:
    if installer.name == "uv":
        base = [*installer.command, "pip", "install", "--python", target, "--quiet"]
    else:  # pip from the image, run by the env's own python: it installs into the env
        base = [
            target,
            *installer.command,
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--no-warn-script-location",
        ]
    if plan.needs_build:
        base.append("--no-build-isolation")  # offline: build with the image's setuptools
    find = ["--find-links", str(links)]
    packages = [str(links / p.name) for p in plan.packages]
    if plan.source == "manifest":
        # What is staged goes in offline (so a pin is always satisfied by the verified wheel);
        # then, if some requirements have no staged wheel, the private requirements file with
        # the index allowed; the lines already satisfied are left alone.
        offline = [*plan.staged_requirements, *packages]
        steps = [Step([*base, "--no-index", "--no-deps", *find, *offline])] if offline else []
        if requirements is not None:
            steps.append(Step([*base, "--no-deps", *find, "-r", str(requirements)]))
        return steps
    # Beam's order and semantics: requirements (offline, which may fail, then resolving deps
    # with the index), then each extra package in the order staged, then the workflow sdist.
    sources: list[str] = []
    for req in plan.requirements:
        sources += ["-r", str(links / req.name)]
    steps = []
    if sources:
        steps.append(Step([*base, "--no-index", "--no-deps", *find, *sources], optional=True))
        steps.append(Step([*base, *find, *sources]))
    for pkg in packages:
        steps.append(Step([*base, *find, pkg]))
    return steps


def _die_with_parent(parent: int) -> Callable[[], None]:
    """Linux: the installer is killed when the boot is (a worker killed mid-install must not
    leave pip writing into an environment the next boot rebuilds). Runs in the child between
    fork and exec; a boot that died before the signal was armed is noticed by the pid check."""

    def arm() -> None:
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            return
        if os.getppid() != parent:
            os._exit(1)

    return arm


def _run(command: Sequence[str], what: str, environ: dict, *, hidden: Sequence[str] = ()) -> None:
    try:
        proc = subprocess.run(
            list(command),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=environ,
            preexec_fn=_die_with_parent(os.getpid()),
        )
    except OSError as exc:
        raise BootError("BD504", f"could not {what}: {command[0]}: {exc.strerror}") from None
    if proc.returncode != 0:
        if hidden:
            raise BootError(
                "BD504",
                f"could not {what}: the installer exited with {proc.returncode}; its output is "
                f"not shown, as the staged requirements include {', '.join(hidden)} from "
                "outside the staged files and it may quote them",
            )
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
