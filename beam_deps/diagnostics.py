"""The diagnostics model every stage reports through.

A diagnostic is data, not text: renderers (``beam_deps.report``) decide how it looks, so
the same finding reads the same in a terminal, in JSON, in SARIF and on the website.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

DOCS_URL = os.environ.get("BEAM_DEPS_DOCS_URL", "https://beam-deps.github.io/beam-deps/rules/")


class Severity(str, enum.Enum):
    """How bad a finding is: any ``error`` makes the exit code 1, in every output format."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass
class Diagnostic:
    """One finding: what is wrong (``code``, ``message``), where in the object (``path``), where
    in your code (``file``, ``line``), in which transform, and how to fix it (``fix``, ``url``).
    """

    code: str
    severity: Severity
    message: str
    path: str | None = None
    file: str | None = None
    line: int | None = None
    transform: str | None = None
    fix: str | None = None
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        if not data["extra"]:
            data.pop("extra")
        return data

    @property
    def sort_key(self) -> tuple:
        return (self.file or "~", self.line or 0, self.severity.rank, self.code, self.path or "")


@dataclass
class Report:
    """What an analysis found. ``ok`` is the contract every caller and exit code relies on."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    by_reference: list[str] = field(default_factory=list)
    by_value: list[str] = field(default_factory=list)
    payload_size: int | None = None
    worker: dict[str, Any] | None = None  # the worker model checked against (environment)

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics.extend(diagnostics)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.diagnostics, key=lambda d: d.sort_key)

    def summary(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for d in self.diagnostics:
            counts[d.severity.value] += 1
        return {"errors": counts["error"], "warnings": counts["warning"], "infos": counts["info"]}

    def filtered(self, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> Report:
        """Keep codes matching ``select`` prefixes (all if empty) and drop ``ignore`` prefixes."""
        select, ignore = tuple(select), tuple(ignore)
        kept = [
            d
            for d in self.diagnostics
            if (not select or d.code.startswith(select))
            and not d.code.startswith(ignore or ("\0",))
        ]
        return Report(
            kept, list(self.by_reference), list(self.by_value), self.payload_size, self.worker
        )
