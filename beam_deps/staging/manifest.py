"""``beam_deps_manifest.json``: every staged file with its hash, and the environment key.

The boot program trusts nothing it has not verified: it recomputes each file's sha256
against this manifest before installing anything, and caches the installed environment under
``environment_key`` so a second worker with the same key installs nothing.
"""

from __future__ import annotations

import hashlib
import json
import sys
import sysconfig
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from beam_deps.hashing import sha256_file

MANIFEST_NAME = "beam_deps_manifest.json"
VERSION = 1
ROLES = ("requirements", "local_wheel", "local_sdist", "wheelhouse", "extra_packages")


@dataclass(frozen=True)
class Artifact:
    path: str  # relative to the staging directory, '/'-separated
    sha256: str
    role: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def artifact(out: Path, file: Path, role: str) -> Artifact:
    if role not in ROLES:
        raise ValueError(f"unknown artifact role {role!r}")
    return Artifact(file.relative_to(out).as_posix(), sha256_file(file), role)


def environment_key(
    requirements: list[str], artifacts: list[Artifact], python: str, platform: str, beam: str
) -> str:
    """sha256 over the sorted requirement lines and the sha256 of every wheel, plus the Python,
    platform and Beam version the environment is built for (a venv is not portable across them).
    """
    h = hashlib.sha256()
    for line in sorted(requirements):
        h.update(b"req\0" + line.encode() + b"\n")
    for a in sorted(artifacts, key=lambda a: a.sha256):
        if a.path.endswith(".whl"):
            h.update(b"whl\0" + a.sha256.encode() + b"\n")
    h.update(f"py\0{python}\nplat\0{platform}\nbeam\0{beam}\n".encode())
    return h.hexdigest()


def python_version() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def build(
    *,
    artifacts: list[Artifact],
    requirements: list[str],
    pickle_library: str,
    beam_version: str,
    inputs: dict[str, Any],
    sources: list[Artifact] = (),
    python: str | None = None,
    platform: str | None = None,
) -> dict[str, Any]:
    python = python or python_version()
    platform = platform or sysconfig.get_platform()
    ordered = sorted(artifacts, key=lambda a: (ROLES.index(a.role), a.path))
    return {
        "version": VERSION,
        "environment_key": environment_key(requirements, ordered, python, platform, beam_version),
        # The workers' Python the environment is staged for (--worker-python; the boot
        # compares it with its own), and the Python that ran the pipeline and resolved it.
        "python": python,
        "built_with_python": python_version(),
        "platform": platform,
        "apache_beam": beam_version,
        "pickle_library": pickle_library,
        "artifacts": [a.to_dict() for a in ordered],
        "requirements": list(requirements),
        "inputs": inputs,
        # Built alongside but NOT shipped (an sdist of the project): recorded so the staging
        # directory is fully described; the boot neither expects nor installs them.
        "sources": [a.to_dict() for a in sorted(sources, key=lambda a: a.path)],
    }


REDACTED = "********"


def redact_options(args: list[str]) -> list[str]:
    """Pipeline options as the manifest records them: the manifest ships to every worker and
    the stage cache keeps it, so a secret's value is replaced by ``********``, found as check's
    BD110 finds one: by the option's name (``--db_password``, ``--api-key``) and by the value's
    shape (a token, a key); a password in a URL (``postgresql://user:pw@host``) too."""
    from beam_deps.pickling.hazards import SecretDetector, is_secret_name
    from beam_deps.redaction import mask_urls

    detector = SecretDetector()
    out: list[str] = []
    secret_next = False
    for arg in args:
        if secret_next:
            secret_next = False
            if not arg.startswith("-"):
                out.append(REDACTED)
                continue
        name, eq, value = arg.partition("=")
        named = arg.startswith("-") and is_secret_name(name.lstrip("-"))
        if named and not eq:
            secret_next = True  # --password VALUE
            out.append(arg)
        elif named and value:
            out.append(f"{name}={REDACTED}")
        elif detector.check(value if eq else arg):
            out.append(f"{name}={REDACTED}" if eq else REDACTED)
        else:
            out.append(mask_urls(arg))
    return out


def dumps(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True) + "\n"


def write(out: Path, manifest: dict[str, Any]) -> Path:
    path = out / MANIFEST_NAME
    path.write_text(dumps(manifest), encoding="utf-8")
    return path


def read(staging_dir: Path) -> dict[str, Any]:
    return json.loads((Path(staging_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))


def verify(staging_dir: Path, manifest: dict[str, Any] | None = None) -> list[str]:
    """Artifacts (and kept sources) whose file is missing or whose sha256 differs."""
    staging_dir = Path(staging_dir)
    manifest = manifest if manifest is not None else read(staging_dir)
    bad = []
    for a in manifest.get("artifacts", []) + manifest.get("sources", []):
        path = staging_dir / a["path"]
        if not path.is_file() or sha256_file(path) != a["sha256"]:
            bad.append(a["path"])
    return bad
