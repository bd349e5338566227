"""What the worker must install, read from a retrieved staging directory, and proof it is intact.

Two sources, one shape (`InstallPlan`):

* a ``beam_deps_manifest.json`` written by ``beam-deps stage``: every listed file must exist and
  match its sha256 (BD501), every staged wheel must suit this interpreter (BD502) and open as a
  zip (BD504), and the cache key is the manifest's environment key. Staging computed the full
  dependency closure minus the worker image, so the install runs with ``--no-deps``, offline
  when every requirement has a staged wheel; requirements without one (``beam-deps stage``
  without ``--wheelhouse``) come from the package index, as with Beam's own boot
  (``InstallPlan.from_index``).
* no manifest: Beam's own artifacts in the order Beam's container boot installs them
  (``requirements.txt`` and every pip requirements file the runner sent, ``extra_packages.txt``
  in order, ``workflow.tar.gz``), so the boot is a drop-in replacement; the cache key is a hash
  of those files.

Artifacts are matched by their path relative to the staging directory first, then by basename:
``beam-deps-boot --setup-only --staged OUT`` reads the staging directory itself, while a worker
sees Beam's flat staged directory where every file arrives under its basename.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from beam_deps.boot.errors import BootError
from beam_deps.hashing import sha256_file

MANIFEST = "beam_deps_manifest.json"
REQUIREMENTS = "requirements.txt"
EXTRA_PACKAGES = "extra_packages.txt"
WORKFLOW = "workflow.tar.gz"
SDK_TARBALL = "dataflow_python_sdk.tar"
# Beam's stager sends PyPI requirements (``pypi_requirements``) as artifacts with the
# pip_requirements_file role and no staged name; the boot names each one (see
# `pip_requirements_name`) and Beam's Go boot installs every one of them.
PIP_REQUIREMENTS_GLOB = "requirements_pypi-*.txt"

_INSTALLABLE_ROLES = ("local_wheel", "local_sdist", "extra_packages")


@dataclass
class InstallPlan:
    """Everything the installer needs; ``key`` names the cached environment."""

    staged_dir: Path
    key: str
    source: str  # "manifest" or "beam"
    requirements: list[Path] = field(default_factory=list)
    packages: list[Path] = field(default_factory=list)  # installed in this order
    # Beam plans only: the staged folder, as Beam's boot uses it. A manifest plan installs from
    # a private folder of the verified wheels instead (made by the installer), so nothing
    # unverified that sits in Beam's flat staged folder can satisfy a requirement.
    find_links: list[Path] = field(default_factory=list)
    wheels: list[Path] = field(default_factory=list)  # every staged wheel, for `check_wheels`
    no_deps: bool = True
    # Manifest plans: requirement lines no verified wheel satisfies. Empty means the install
    # is offline; otherwise those lines come from the package index (staged wheels first).
    from_index: list[str] = field(default_factory=list)
    staged_requirements: list[str] = field(default_factory=list)  # lines a staged wheel covers
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.packages and not any(_has_requirements(r) for r in self.requirements)

    @property
    def needs_build(self) -> bool:
        return any(not p.name.endswith(".whl") for p in self.packages)


def plan_for(staged_dir: Path) -> InstallPlan:
    """Read and verify ``staged_dir``; raise `BootError` if anything may not be installed."""
    staged_dir = Path(staged_dir)
    if not staged_dir.is_dir():
        problem = "is not a directory" if staged_dir.exists() else "does not exist"
        raise BootError(
            "BD503",
            f"staged directory {staged_dir} {problem}",
            "pass the directory `beam-deps stage --out` wrote, or the worker's retrieved "
            "<semi_persist_dir>/staged",
        )
    manifest_path = _locate(staged_dir, MANIFEST)
    if manifest_path is not None:
        return _manifest_plan(staged_dir, manifest_path)
    return _beam_plan(staged_dir)


# ------------------------------------------------------------------ manifest


def _manifest_plan(staged_dir: Path, manifest_path: Path) -> InstallPlan:
    manifest = _read_manifest(manifest_path)
    artifacts = manifest["artifacts"]
    plan = InstallPlan(
        staged_dir=staged_dir, key=manifest["environment_key"], source="manifest", no_deps=True
    )
    wheels: list[Path] = []
    for entry in artifacts:
        rel, expected, role = entry["path"], entry["sha256"], entry.get("role", "")
        found = _locate(staged_dir, rel)
        if found is None:
            raise BootError(
                "BD501",
                f"staged file {rel} listed in the manifest is missing from {staged_dir}",
            )
        actual = sha256_file(found)
        if actual != expected:
            raise BootError(
                "BD501",
                f"staged file {found} does not match the manifest (found sha256 "
                f"{actual[:12]}..., the manifest says {expected[:12]}...)",
            )
        if role == "requirements":
            plan.requirements.append(found)
        elif role in _INSTALLABLE_ROLES:
            plan.packages.append(found)
        if found.name.endswith(".whl"):
            wheels.append(found)
    plan.wheels = wheels
    plan.staged_requirements, plan.from_index = split_by_staged_wheel(plan.requirements, wheels)
    _check_interpreter(manifest, plan)
    _note_unlisted(staged_dir, {Path(e["path"]).name for e in artifacts}, plan)
    return plan


def _read_manifest(path: Path) -> dict:
    """The manifest, with the types the boot relies on checked: bad input is a BD501 line,
    never a traceback."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _unreadable(path, f"{exc.__class__.__name__}: {exc}") from None
    if not isinstance(manifest, dict):
        raise _unreadable(path, f"a JSON {_json_type(manifest)}, not an object")
    if manifest.get("version") != 1:
        raise BootError(
            "BD501",
            f"{path} has manifest version {manifest.get('version')!r}; this boot reads version 1",
            "install the beam-deps version that staged the job in the worker image",
        )
    problem = _manifest_problem(manifest)
    if problem:
        raise _unreadable(path, problem)
    return manifest


def _manifest_problem(manifest: dict) -> str | None:
    key = manifest.get("environment_key")
    if not isinstance(key, str) or not key:
        return f'"environment_key" must be a non-empty string, not {_json_type(key)}'
    artifacts = manifest.get("artifacts")
    if not isinstance(artifacts, list):
        return f'"artifacts" must be a list, not {_json_type(artifacts)}'
    for i, entry in enumerate(artifacts):
        if not isinstance(entry, dict):
            return f'"artifacts"[{i}] must be an object, not {_json_type(entry)}'
        for name in ("path", "sha256"):
            if not isinstance(entry.get(name), str) or not entry.get(name):
                return f'"artifacts"[{i}]["{name}"] must be a non-empty string'
        if not isinstance(entry.get("role", ""), str):
            return f'"artifacts"[{i}]["role"] must be a string'
    requirements = manifest.get("requirements", [])
    if not isinstance(requirements, list) or not all(isinstance(r, str) for r in requirements):
        return '"requirements" must be a list of strings'
    for name in ("python", "pickle_library"):
        if not isinstance(manifest.get(name, ""), str):
            return f'"{name}" must be a string, not {_json_type(manifest.get(name))}'
    return None


def _unreadable(path: Path, detail: str) -> BootError:
    return BootError("BD501", f"{path} is not a readable beam-deps manifest ({detail})")


def _json_type(value: object) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number" if isinstance(value, int | float) else "value")


def split_by_staged_wheel(
    requirement_files: list[Path], wheels: list[Path]
) -> tuple[list[str], list[str]]:
    """Split requirement lines into those a staged wheel satisfies and those it does not.

    Decides offline or not: ``beam-deps stage --wheelhouse`` stages a wheel for every line,
    plain ``beam-deps stage`` stages none, and then (as with Beam's own boot) the lines come
    from the package index. A line that is not a plain requirement (an option, a URL) is never
    covered. Lines whose marker excludes this interpreter are in neither list.
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

    versions: dict[str, list] = {}
    for wheel in wheels:
        try:
            name, version, _build, _tags = parse_wheel_filename(wheel.name)
        except InvalidWheelFilename:
            continue  # `check_wheels` refuses it with a message
        versions.setdefault(name, []).append(version)
    covered: list[str] = []
    uncovered: list[str] = []
    for line in requirement_lines(requirement_files):
        try:
            req = Requirement(line)
        except InvalidRequirement:
            uncovered.append(line)
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        have = versions.get(canonicalize_name(req.name), [])
        if not req.url and any(req.specifier.contains(v, prereleases=True) for v in have):
            covered.append(str(req))
        else:
            uncovered.append(line)
    return covered, uncovered


def requirement_lines(requirement_files: list[Path]) -> list[str]:
    """The requirements of the staged files, read as staging wrote them (continued lines
    joined, ``--hash`` and other options dropped) by the one shared reader."""
    from beam_deps.requirements_files import requirement_lines as lines_of

    lines: list[str] = []
    for path in requirement_files:
        try:
            lines += lines_of(path)
        except UnicodeDecodeError as exc:
            raise BootError(
                "BD504",
                f"requirements file {path} is not UTF-8 text, so pip cannot read it ({exc})",
            ) from None
    return lines


def _note_unlisted(staged_dir: Path, listed: set[str], plan: InstallPlan) -> None:
    """Beam artifacts added beside the staging (``--setup_file``, another ``--extra_package``,
    PyPI requirements from Beam's stager) are not in the manifest: they are not verified, so
    they are not installed. Say so."""
    unlisted = []
    extra = staged_dir / EXTRA_PACKAGES
    if extra.is_file():
        names = [ln.strip() for ln in extra.read_text(encoding="utf-8").splitlines()]
        unlisted += [n for n in names if n and n not in listed]
    if (staged_dir / WORKFLOW).is_file() and WORKFLOW not in listed:
        unlisted.append(WORKFLOW)
    unlisted += [p.name for p in pip_requirements_files(staged_dir) if p.name not in listed]
    if unlisted:
        plan.notes.append(
            f"not installing {', '.join(unlisted)}: staged beside the manifest, so unverified; "
            "stage them with beam-deps stage (or drop the manifest to use Beam's own install)"
        )


def _check_interpreter(manifest: dict, plan: InstallPlan) -> None:
    """A different Python minor is not fatal here (Beam checks it too); say so in the log."""
    want = str(manifest.get("python") or "")
    have = f"{sys.version_info.major}.{sys.version_info.minor}"
    if want and want != have:
        plan.notes.append(f"staged for Python {want}, this worker runs Python {have}")
    library = str(manifest.get("pickle_library") or "")
    staged_names = " ".join(str(r).lower() for r in manifest.get("requirements") or [])
    if library.startswith("dill") and "dill" not in staged_names:
        import importlib.util

        if importlib.util.find_spec("dill") is None:
            plan.notes.append(
                f"the job pickles with {library} but this worker image has no dill and none "
                "was staged; install apache-beam[dill] in the image"
            )


# ------------------------------------------------------------------ wheels


def check_wheels(plan: InstallPlan) -> None:
    """BD502: every project needs one wheel this interpreter accepts; BD504: wheels must open.

    Called before an install, not on every boot: a cached env was built from files with the
    same hashes on the same image, so they passed this check then.
    """
    from packaging.tags import sys_tags
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    supported = set(sys_tags())
    installable = plan.packages
    by_project: dict[str, list[tuple[Path, bool]]] = {}
    for wheel in plan.wheels:
        try:
            name, _version, _build, tags = parse_wheel_filename(wheel.name)
        except InvalidWheelFilename as exc:
            raise BootError("BD504", f"{wheel} is not a valid wheel name ({exc})") from None
        by_project.setdefault(name, []).append((wheel, bool(tags & supported)))
    for candidates in by_project.values():
        if not any(ok for _, ok in candidates):
            worker = next(iter(sys_tags()))
            names = ", ".join(w.name for w, _ in candidates)
            raise BootError(
                "BD502",
                f"staged wheel {names} does not install on this worker "
                f"(Python {sys.version_info.major}.{sys.version_info.minor}, {worker})",
            )
    for candidates in by_project.values():
        for wheel, compatible in candidates:
            if compatible or wheel in installable:
                _check_zip(wheel)


def _check_zip(wheel: Path) -> None:
    """Catch a truncated or corrupt wheel before the installer does, with a clearer message."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise BootError("BD504", f"staged wheel {wheel} is corrupt ({exc})") from None
    if not any(n.endswith(".dist-info/METADATA") for n in names):
        raise BootError("BD504", f"staged wheel {wheel} has no .dist-info/METADATA")


# ------------------------------------------------------------------ Beam's own artifacts


def _beam_plan(staged_dir: Path) -> InstallPlan:
    """Beam's container boot order: requirements, extra packages (in order), workflow sdist."""
    digest = hashlib.sha256(b"beam-artifacts\0")
    plan = InstallPlan(staged_dir=staged_dir, key="", source="beam", no_deps=False)
    plan.find_links.append(staged_dir)
    req = staged_dir / REQUIREMENTS
    if req.is_file():
        plan.requirements.append(req)
        digest.update(b"requirements\0" + req.read_bytes())
    for pypi in pip_requirements_files(staged_dir):  # after requirements.txt, as Beam's boot
        plan.requirements.append(pypi)
        digest.update(b"pip-requirements\0" + pypi.name.encode() + b"\0" + pypi.read_bytes())
    extra = staged_dir / EXTRA_PACKAGES
    if extra.is_file():
        for line in extra.read_text(encoding="utf-8").splitlines():
            name = line.strip()
            if not name:
                continue
            pkg = staged_dir / name
            if not pkg.is_file():
                raise BootError(
                    "BD503",
                    f"{EXTRA_PACKAGES} lists {name}, which was not retrieved into {staged_dir}",
                    "resubmit the job; if it persists, check the runner's artifact staging",
                )
            plan.packages.append(pkg)
            digest.update(b"package\0" + name.encode() + sha256_file(pkg).encode())
    workflow = staged_dir / WORKFLOW
    if workflow.is_file():
        plan.packages.append(workflow)
        digest.update(b"workflow\0" + sha256_file(workflow).encode())
    if (staged_dir / SDK_TARBALL).exists():
        plan.notes.append(f"ignoring staged {SDK_TARBALL}: the worker image provides apache-beam")
    plan.wheels = [p for p in plan.packages if p.name.endswith(".whl")]
    plan.key = digest.hexdigest()
    return plan


# ------------------------------------------------------------------ helpers


def pip_requirements_name(index: int, digest: str) -> str:
    """Staged name of the ``index``-th pip requirements file artifact (Beam's stager gives
    these no name). Unique per artifact, and sorting the names keeps the runner's order."""
    return f"requirements_pypi-{index:03d}-{digest[:16]}.txt"


def pip_requirements_files(staged_dir: Path) -> list[Path]:
    return sorted(p for p in staged_dir.glob(PIP_REQUIREMENTS_GLOB) if p.is_file())


def _locate(staged_dir: Path, rel: str) -> Path | None:
    rel_path = Path(rel)
    if rel_path.is_absolute() or ".." in rel_path.parts:
        raise BootError("BD501", f"manifest path {rel!r} escapes the staging directory")
    for candidate in (staged_dir / rel_path, staged_dir / rel_path.name):
        if candidate.is_file():
            return candidate
    return None


def _has_requirements(path: Path) -> bool:
    try:
        return bool(requirement_lines([path]))
    except (OSError, BootError):
        return False


def describe(plan: InstallPlan) -> str:
    """One phrase for the log: what will be installed."""
    parts = requirement_lines(plan.requirements) + [p.name for p in plan.packages]
    return ", ".join(parts) if parts else "nothing"
