"""What one catalogue entry is: the fields `explain`, the website and the renderers read."""

from __future__ import annotations

from dataclasses import dataclass

from beam_deps.diagnostics import DOCS_URL, Severity

FAMILIES = {
    "BD0": "The tool itself",
    "BD1": "Pickling on the submitting side",
    "BD2": "The main session",
    "BD3": "Classes and identity",
    "BD4": "Dependencies and version skew",
    "BD5": "Staging and worker boot",
}

# The programs that report findings. `check` includes the Python API (`check_object`,
# `check_pipeline`); `stage` includes `run`, `requirements` and `package list`, which stage
# first; `boot` is `beam-deps-boot` on the worker.
COMMANDS = ("check", "stage", "boot")


@dataclass(frozen=True)
class Rule:
    """One entry of the catalogue: the single source for `explain`, the website and renderers.

    ``severity`` is what a finding of this rule carries. A rule whose findings are not all
    equally bad lists the other severities in ``also`` and says when in ``severity_note``;
    `diagnostic()` refuses any other severity, so the rule page never says one thing while
    the terminal says another.
    """

    code: str
    name: str
    severity: Severity
    reported_by: tuple[str, ...]
    summary: str
    explanation: str
    fix: str
    example: str = ""
    example_fixed: str = ""
    also: tuple[Severity, ...] = ()
    severity_note: str = ""

    def __post_init__(self) -> None:
        if not self.reported_by or not set(self.reported_by) <= set(COMMANDS):
            raise ValueError(f"{self.code}: reported_by must name some of {COMMANDS}")
        if bool(self.also) != bool(self.severity_note) or self.severity in self.also:
            raise ValueError(f"{self.code}: other severities need a note saying when")

    @property
    def family(self) -> str:
        """The hundreds digit: ``BD4`` for ``BD410``."""
        return self.code[:3]

    @property
    def severities(self) -> tuple[Severity, ...]:
        """Every severity a finding of this rule may carry, the usual one first."""
        return (self.severity, *self.also)

    @property
    def url(self) -> str:
        return f"{DOCS_URL}{self.code}/"
