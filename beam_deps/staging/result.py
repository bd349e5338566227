"""What ``stage()`` returns: where the staging is, and the stock Beam options that ship it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beam_deps.diagnostics import Diagnostic, Severity
from beam_deps.staging.manifest import MANIFEST_NAME, Artifact


@dataclass
class Staging:
    """The result of ``stage()``: where it is, and the Beam options that ship it."""

    out: Path
    pipeline_args: list[str]
    artifacts: list[Artifact]
    requirements: list[str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    sources: list[Artifact] = field(default_factory=list)  # kept in --out, not shipped
    shipped: list[str] = field(default_factory=list)  # local code files, one per line
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    # Requirement lines workers install from the package index when they start: all of them
    # without --wheelhouse, those it has no wheel for with it.
    index_at_boot: list[str] = field(default_factory=list)
    cached: bool = False
    written: bool = True
    # Why the script was not run to its pipeline (package list / requirements fell back to
    # the static import closure), else None.
    static: str | None = None

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def environment_key(self) -> str | None:
        return self.manifest["environment_key"] if self.manifest else None

    @property
    def environments(self) -> dict[str, Any]:
        """Per-transform environments (group name -> path, key, declared, transforms,
        requirements; ``default`` when the group stays in the default environment). Empty
        when the whole pipeline shares one environment."""
        return dict((self.manifest or {}).get("environments") or {})

    @property
    def split(self) -> bool:
        """Whether some transforms run in an environment of their own: the script must then
        run through ``python -m beam_deps.split --staging OUT`` (``beam-deps run`` does)."""
        return any(not env.get("default") for env in self.environments.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "pipeline_args": list(self.pipeline_args),
            "artifacts": [a.to_dict() for a in self.artifacts],
            "requirements": list(self.requirements),
            "sources": [a.to_dict() for a in self.sources],
            "index_at_boot": list(self.index_at_boot),
            "out": str(self.out),
            "environment_key": self.environment_key,
            "environments": self.environments,
            "cached": self.cached,
            "written": self.written,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }


def beam_args(out: Path, artifacts: list[Artifact]) -> list[str]:
    """Stock Beam options that ship the staging directory.

    ``--requirements_cache=skip`` stops Beam's stager from running ``pip download`` per line;
    wheelhouse wheels travel with ``--files_to_stage`` and land next to
    requirements.txt in the worker's staged folder, where Beam's boot first installs with
    ``--no-index --find-links``. Local wheels are ``--extra_package``s, installed in order.
    """
    args = []
    by_role: dict[str, list[Artifact]] = {}
    for a in artifacts:
        by_role.setdefault(a.role, []).append(a)
    for a in by_role.get("requirements", []):
        args.append(f"--requirements_file={out / a.path}")
    args.append("--requirements_cache=skip")
    for a in by_role.get("local_wheel", []):
        args.append(f"--extra_package={out / a.path}")
    for a in by_role.get("wheelhouse", []):
        args.append(f"--files_to_stage={out / a.path}")
    args.append(f"--files_to_stage={out / MANIFEST_NAME}")
    return args
