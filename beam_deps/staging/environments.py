"""One staged environment per group of transforms (per-transform environments).

When ``@requires`` declarations of different transforms cannot share one environment (or a
declaration asks for its own, ``own_environment=True``), ``stage`` writes, next to the
default staging, one folder per group under ``environments/<name>/``:

* ``requirements.txt``: the default environment's pinned lines, with the group's
  declarations and their dependencies in place of the lines for the same distributions
  (resolved by pip against the kept lines and the worker image, so nothing the image has is
  silently changed);
* ``wheels/``: a copy of the local code's wheels (the same code runs in every environment);
* ``wheelhouse/`` (``--wheelhouse``): wheels of its requirements;
* its own ``beam_deps_manifest.json`` with its own environment key: what its workers verify
  and cache their environment under. ``beam-deps-boot`` needs nothing new: each environment's
  workers receive that environment's files only.

A group whose requirements come out exactly as the default environment's gets no folder: its
transforms stay in the default environment (``"default": true`` in the listing).

The top manifest lists every environment under ``environments`` (path, key, the declared
requirements and the transforms), so one file describes the whole staging; ``run`` and
``beam_deps.split`` read the Beam options of each environment from it
(``environment_args``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from beam_deps.staging import manifest
from beam_deps.staging.errors import StagingError
from beam_deps.staging.result import beam_args

if TYPE_CHECKING:
    from beam_deps.environment.distributions import WorkerImage
    from beam_deps.environment.groups import Group
    from beam_deps.staging.wheelhouse import Target

FOLDER = "environments"


def _name(line: str) -> str | None:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        return canonicalize_name(Requirement(line).name)
    except InvalidRequirement:
        return None


def resolve(
    declared: list[str], base_lines: list[str], image: WorkerImage | None = None
) -> list[str]:
    """The pinned lines of a group's environment.

    The default environment's lines for distributions the group does not declare are kept;
    the group's declarations are resolved by pip with those lines and the worker image's
    versions as constraints (``pip install --dry-run --report``: the same resolver the
    workers use), and what pip would install on top of the image is added, pinned.
    """
    names = {_name(r) for r in declared}
    kept = [line for line in base_lines if _name(line) not in names]
    constraints = [line for line in kept if _name(line) and "@" not in line]
    if image is not None:
        constraints += [
            f"{n}=={v}" for n, v in sorted(image.packages.items()) if v and n not in names
        ]
    installs = _pip_report(declared, constraints)
    kept_names = {_name(line) for line in kept}
    added = [
        f"{n}=={v}"
        for n, v in installs
        if n not in kept_names and not (image is not None and image.version(n) == v)
    ]
    return sorted(kept + added, key=lambda line: (_name(line) or line, line))


def _pip_report(requirements: list[str], constraints: list[str]) -> list[tuple[str, str]]:
    from packaging.utils import canonicalize_name

    with tempfile.TemporaryDirectory(prefix="beam-deps-env-") as tmp:
        reqs, cons = Path(tmp) / "requirements.txt", Path(tmp) / "constraints.txt"
        reqs.write_text("".join(f"{r}\n" for r in requirements))
        cons.write_text("".join(f"{c}\n" for c in constraints))
        cmd = [
            sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
            "--quiet", "--disable-pip-version-check", "--report", "-",
            "-r", str(reqs), "-c", str(cons),
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = next(
            (ln.strip() for ln in reversed(proc.stderr.splitlines()) if ln.strip()),
            "pip failed",
        )
        raise StagingError(
            f"cannot resolve the environment for {', '.join(requirements)}: {tail[:300]}; "
            "check the declarations against the pipeline's other requirements and the "
            "network/index"
        )
    report = json.loads(proc.stdout)
    return [
        (canonicalize_name(item["metadata"]["name"]), item["metadata"]["version"])
        for item in report.get("install", [])
    ]


def build(
    tmp: Path,
    groups: list[Group],
    top: dict[str, Any],
    artifacts: list[manifest.Artifact],
    base_lines: list[str],
    *,
    image: WorkerImage | None = None,
    wheelhouse: bool = False,
    target: Target | None = None,
    progress: TextIO | None = None,
) -> dict[str, Any]:
    """Write one folder per group under ``tmp/environments`` and return the top manifest
    with its ``environments`` section (written by the caller)."""
    listing: dict[str, Any] = {}
    local = [a for a in artifacts if a.role == "local_wheel"]
    house = {_wheel_name(a.path): a for a in artifacts if a.role == "wheelhouse"}
    for group in groups:
        lines = resolve(list(group.requirements), base_lines, image)
        if lines == sorted(base_lines, key=lambda line: (_name(line) or line, line)) and (
            not group.own
        ):
            # The default environment already holds exactly this: its transforms stay
            # there (no second set of workers, no boundary to cross).
            listing[group.name] = {
                "default": True,
                "declared": list(group.requirements),
                "transforms": list(group.transforms),
                "requirements": lines,
            }
            continue
        folder = tmp / FOLDER / group.name
        (folder / "wheels").mkdir(parents=True)
        req = folder / "requirements.txt"
        req.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        files = [manifest.artifact(folder, req, "requirements")]
        for a in local:
            copy = folder / "wheels" / Path(a.path).name
            shutil.copyfile(tmp / a.path, copy)
            files.append(manifest.artifact(folder, copy, "local_wheel"))
        if wheelhouse and lines:
            files += _wheelhouse(tmp, folder, lines, house, target, progress)
        data = manifest.build(
            artifacts=files,
            requirements=lines,
            pickle_library=top["pickle_library"],
            beam_version=top["apache_beam"],
            inputs={"environment": group.name, "declared": list(group.requirements)},
            python=top["python"],
            platform=top["platform"],
        )
        manifest.write(folder, data)
        listing[group.name] = {
            "path": f"{FOLDER}/{group.name}",
            "environment_key": data["environment_key"],
            "declared": list(group.requirements),
            "transforms": list(group.transforms),
            "requirements": lines,
        }
    return dict(top, environments=listing)


def _wheel_name(path: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(Path(path).name.split("-")[0])


def _wheelhouse(
    tmp: Path,
    folder: Path,
    lines: list[str],
    house: dict[str, manifest.Artifact],
    target: Target | None,
    progress: TextIO | None,
) -> list[manifest.Artifact]:
    """The default wheelhouse's wheels for kept lines (copied), the rest downloaded."""
    from beam_deps.staging import wheelhouse as wh

    dest = folder / "wheelhouse"
    dest.mkdir()
    out: list[manifest.Artifact] = []
    missing = []
    for line in lines:
        found = house.get(_name(line) or "")
        if found is not None and line.split("==")[-1] in found.path:
            copy = dest / Path(found.path).name
            shutil.copyfile(tmp / found.path, copy)
            out.append(manifest.artifact(folder, copy, "wheelhouse"))
        else:
            missing.append(line)
    if missing:
        wheels, _ = wh.download(missing, dest, target=target, progress=progress)
        out += [manifest.artifact(folder, w, "wheelhouse") for w in wheels]
    return out


def listed_paths(data: dict[str, Any], out: Path) -> set[str]:
    """Every file the ``environments`` of a top manifest describe (relative to ``out``)."""
    paths: set[str] = set()
    for env in (data.get("environments") or {}).values():
        if env.get("default"):
            continue
        base = env["path"]
        paths.add(f"{base}/{manifest.MANIFEST_NAME}")
        try:
            inner = manifest.read(out / base)
        except (OSError, ValueError):
            continue
        paths |= {f"{base}/{a['path']}" for a in inner.get("artifacts", [])}
    return paths


def environment_args(out: Path, data: dict[str, Any] | None = None) -> dict[str, list[str] | None]:
    """Group name -> the stock Beam options that ship its environment (None: the group
    stays in the default environment, which holds exactly what it declares)."""
    out = Path(out)
    data = data if data is not None else manifest.read(out)
    args: dict[str, list[str] | None] = {}
    for name, env in (data.get("environments") or {}).items():
        if env.get("default"):
            args[name] = None
            continue
        folder = out / env["path"]
        inner = manifest.read(folder)
        args[name] = beam_args(folder, [manifest.Artifact(**a) for a in inner["artifacts"]])
    return args
