"""What the worker must install, read from a retrieved staging directory, and proof it is intact.

Two sources, one shape (`InstallPlan`):

* a ``beam_deps_manifest.json`` written by ``beam-deps stage``: every listed file must exist and
  match its sha256 (BD501), its requirements file may hold only requirement lines (BD501, see
  `staged_requirements`), every staged wheel must suit this interpreter (BD502) and open as a
  zip (BD504). Staging computed the full dependency closure minus the worker image, so the
  install runs with ``--no-deps``, offline when every requirement has a staged wheel;
  requirements without one (``beam-deps stage`` without ``--wheelhouse``) come from the
  package index, as with Beam's own boot (``InstallPlan.from_index``).
* no manifest: Beam's own artifacts in the order Beam's container boot installs them
  (``requirements.txt`` and every pip requirements file the runner sent, ``extra_packages.txt``
  in order, ``workflow.tar.gz``), so the boot is a drop-in replacement.

Either way the cache key is derived from the files as hashed here and from what the installer
will be given (`derive_key`); the manifest's ``environment_key`` is never trusted. Every file
the installer may read is recorded with its hash (`Verified`), so the installer can work from
private copies checked against those hashes.

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
from beam_deps.boot.staged_requirements import Accepted, accepted_lines, beam_requirements
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
# What pip's --find-links takes from a folder (wheels and sdists), see Beam plans.
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar")


@dataclass(frozen=True)
class Verified:
    """A staged file and the sha256 the boot read from it. The installer never reads the
    staged file again: it copies it into a private folder and checks the copy's hash."""

    path: Path  # in the staged directory
    sha256: str
    name: str  # its path in the private folder (relative, '/'-separated)


@dataclass
class InstallPlan:
    """Everything the installer needs; ``key`` names the cached environment.

    ``key`` is derived here from what was verified and what the installer will be given,
    never taken from the manifest: a staging that carries another job's key must not reuse
    (or build) that job's environment. The manifest's own key is only shown in the log.
    """

    staged_dir: Path
    source: str  # "manifest" or "beam"
    key: str = ""
    staging_key: str = ""  # the manifest's environment_key (log only)
    files: list[Verified] = field(default_factory=list)  # copied privately before installing
    requirements: list[Verified] = field(default_factory=list)  # Beam plans: ``-r`` these
    packages: list[Verified] = field(default_factory=list)  # installed in this order
    wheels: list[Verified] = field(default_factory=list)  # every staged wheel (`check_wheels`)
    no_deps: bool = True
    # Manifest plans: the accepted requirement lines (the installer writes them to a private
    # requirements file), those a staged wheel covers, and those that come from the index.
    # Empty ``from_index`` means the install is offline.
    accepted: list[Accepted] = field(default_factory=list)
    staged_requirements: list[str] = field(default_factory=list)
    from_index: list[str] = field(default_factory=list)
    # Beam plans: requirement files included from outside the staged folder. The installer's
    # output may quote them, so it is not shown when they exist (see `staged_requirements`).
    outside: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # requirement lines, for the log
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.packages and not self.lines and not self.accepted and not self.outside

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
    plan = (
        _manifest_plan(staged_dir, manifest_path)
        if manifest_path is not None
        else _beam_plan(staged_dir)
    )
    plan.key = derive_key(plan)
    return plan


def derive_key(plan: InstallPlan) -> str:
    """sha256 over what the installer is given, every file as the hash the boot verified:
    the requirement lines, the packages in order, the files that may satisfy a requirement,
    and how they are installed. Two stagings share an environment only if installing one
    would install the other."""
    spec = {
        "boot-key": 2,
        "source": plan.source,
        "no_deps": plan.no_deps,
        "requirements": [a.line for a in plan.accepted],
        "offline": plan.staged_requirements,
        "from_index": plan.from_index,
        "requirement_files": [[v.name, v.sha256] for v in plan.requirements],
        "packages": [[v.name, v.sha256] for v in plan.packages],
        "files": sorted([v.name, v.sha256] for v in plan.files),
        "outside": plan.outside,
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


# ------------------------------------------------------------------ manifest


def _manifest_plan(staged_dir: Path, manifest_path: Path) -> InstallPlan:
    manifest = _read_manifest(manifest_path)
    artifacts = manifest["artifacts"]
    plan = InstallPlan(
        staged_dir=staged_dir,
        source="manifest",
        staging_key=manifest["environment_key"],
        no_deps=True,
    )
    for entry in artifacts:
        rel, expected, role = entry["path"], entry["sha256"], entry.get("role", "")
        found = _locate(staged_dir, rel)
        if found is None:
            raise BootError(
                "BD501",
                f"staged file {rel} listed in the manifest is missing from {staged_dir}",
            )
        if role == "requirements":  # read once: the bytes hashed are the bytes judged
            data = found.read_bytes()
            _check_hash(found, hashlib.sha256(data).hexdigest(), expected)
            plan.accepted += accepted_lines(found.name, data)
            continue
        _check_hash(found, sha256_file(found), expected)
        verified = Verified(found, expected, found.name)
        if role in _INSTALLABLE_ROLES:
            plan.packages.append(verified)
        if found.name.endswith(".whl"):
            plan.wheels.append(verified)
        if role in _INSTALLABLE_ROLES or found.name.endswith(".whl"):
            plan.files.append(verified)
    plan.staged_requirements, plan.from_index = split_by_staged_wheel(plan.accepted, plan.wheels)
    plan.lines = [a.requirement for a in plan.accepted]
    _check_interpreter(manifest, plan)
    _note_unlisted(staged_dir, {Path(e["path"]).name for e in artifacts}, plan)
    return plan


def _check_hash(found: Path, actual: str, expected: str) -> None:
    if actual != expected:
        raise BootError(
            "BD501",
            f"staged file {found} does not match the manifest (found sha256 "
            f"{actual[:12]}..., the manifest says {expected[:12]}...)",
        )


def _read_manifest(path: Path) -> dict:
    """The manifest, with the types the boot relies on checked: bad input is a BD501 line,
    never a traceback."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _unreadable(path, f"{exc.__class__.__name__}: {exc}") from None
    except RecursionError:  # json's C decoder recurses per nesting level
        raise _unreadable(path, "nested too deeply to be a manifest") from None
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
    accepted: list[Accepted], wheels: list[Verified]
) -> tuple[list[str], list[str]]:
    """Split requirements into those a staged wheel satisfies and those it does not.

    Decides offline or not: ``beam-deps stage --wheelhouse`` stages a wheel for every line,
    plain ``beam-deps stage`` stages none, and then (as with Beam's own boot) the lines come
    from the package index. A URL requirement is never covered. Lines whose marker excludes
    this interpreter are in neither list. A line with ``--hash`` is covered only by a wheel
    with one of its hashes; a staged wheel of the pinned version with another hash is refused.
    """
    from packaging.requirements import Requirement
    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

    versions: dict[str, list] = {}
    for wheel in wheels:
        try:
            name, version, _build, _tags = parse_wheel_filename(wheel.name)
        except InvalidWheelFilename:
            continue  # `check_wheels` refuses it with a message
        versions.setdefault(canonicalize_name(name), []).append((version, wheel))
    covered: list[str] = []
    uncovered: list[str] = []
    for line in accepted:
        req = Requirement(line.requirement)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        fits = [
            wheel
            for version, wheel in versions.get(line.name, [])
            if not req.url and req.specifier.contains(version, prereleases=True)
        ]
        hashed = [w for w in fits if not line.hashes or f"sha256:{w.sha256}" in line.hashes]
        if fits and not hashed:
            raise BootError(
                "BD501",
                f"staged wheel {fits[0].name} is not one the --hash options of its "
                f"requirement {line.requirement} allow",
            )
        (covered if hashed else uncovered).append(line.requirement)
    return covered, uncovered


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
    by_project: dict[str, list[tuple[Verified, bool]]] = {}
    for wheel in plan.wheels:
        try:
            name, _version, _build, tags = parse_wheel_filename(wheel.path.name)
        except InvalidWheelFilename as exc:
            raise BootError("BD504", f"{wheel.path} is not a valid wheel name ({exc})") from None
        by_project.setdefault(name, []).append((wheel, bool(tags & supported)))
    for candidates in by_project.values():
        if not any(ok for _, ok in candidates):
            worker = next(iter(sys_tags()))
            names = ", ".join(w.path.name for w, _ in candidates)
            raise BootError(
                "BD502",
                f"staged wheel {names} does not install on this worker "
                f"(Python {sys.version_info.major}.{sys.version_info.minor}, {worker})",
            )
    for candidates in by_project.values():
        for wheel, compatible in candidates:
            if compatible or wheel in installable:
                _check_zip(wheel.path)


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
    """Beam's container boot order: requirements, extra packages (in order), workflow sdist.

    Beam's boot gives pip the whole staged folder as ``--find-links``; here that is a private
    copy of the files pip could take from it (archives, the requirement files and the staged
    files they include), each hashed now and checked again when copied.
    """
    plan = InstallPlan(staged_dir=staged_dir, source="beam", no_deps=False)
    hashed: dict[Path, Verified] = {}

    def verify(path: Path, sha256: str | None = None) -> Verified:
        if path not in hashed:
            name = path.relative_to(staged_dir).as_posix()
            hashed[path] = Verified(path, sha256 or sha256_file(path), name)
        return hashed[path]

    tops = [staged_dir / REQUIREMENTS] if (staged_dir / REQUIREMENTS).is_file() else []
    for top in [*tops, *pip_requirements_files(staged_dir)]:  # Beam's boot: this order
        read = beam_requirements(top, staged_dir)
        for path, _name, sha256 in read.files:
            verify(path, sha256)
        plan.requirements.append(hashed[top])
        plan.lines += read.lines
        plan.outside += [o for o in read.outside if o not in plan.outside]
    extra = staged_dir / EXTRA_PACKAGES
    if extra.is_file():
        for line in extra.read_text(encoding="utf-8").splitlines():
            name = line.strip()
            if not name:
                continue
            pkg = staged_dir / name
            if Path(name).is_absolute() or ".." in Path(name).parts or not pkg.is_file():
                raise BootError(
                    "BD503",
                    f"{EXTRA_PACKAGES} lists {name}, which was not retrieved into {staged_dir}",
                    "resubmit the job; if it persists, check the runner's artifact staging",
                )
            plan.packages.append(verify(pkg))
    workflow = staged_dir / WORKFLOW
    if workflow.is_file():
        plan.packages.append(verify(workflow))
    if (staged_dir / SDK_TARBALL).exists():
        plan.notes.append(f"ignoring staged {SDK_TARBALL}: the worker image provides apache-beam")
    for path in sorted(staged_dir.iterdir()):
        if path.name != SDK_TARBALL and path.name.endswith(_ARCHIVES) and path.is_file():
            verify(path)
    plan.files = list(hashed.values())
    plan.wheels = [p for p in plan.packages if p.name.endswith(".whl")]
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


def describe(plan: InstallPlan) -> str:
    """One phrase for the log: what will be installed (never a line of a file from outside
    the staged folder)."""
    parts = plan.lines + [p.name for p in plan.packages]
    parts += [f"the requirements of {o}" for o in plan.outside]
    return ", ".join(parts) if parts else "nothing"
