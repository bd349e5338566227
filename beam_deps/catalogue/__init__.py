"""The diagnostic catalogue: one table, the single source of truth.

`beam-deps explain`, the renderers and the website's rule pages all read this table, so they
can never disagree. `model` says what an entry is; `code_rules` (BD0-BD1), `session_rules`
(BD2-BD3, with `dill_rules` and `element_rules`), `dependency_rules` (BD4) and
`worker_rules` (BD5) hold them; findings are built with `diagnostic()`, which takes
severity, fix and docs link from the entry.
"""

from __future__ import annotations

from typing import Any

from beam_deps.catalogue import (
    code_rules,
    dependency_rules,
    dill_rules,
    element_rules,
    output_rules,
    session_rules,
    worker_rules,
)
from beam_deps.catalogue.model import COMMANDS, FAMILIES, Rule
from beam_deps.diagnostics import Diagnostic, Severity

__all__ = ["COMMANDS", "FAMILIES", "RULES", "Rule", "all_rules", "diagnostic", "rule"]

_RULES = sorted(
    [
        *code_rules.RULES,
        *session_rules.RULES,
        *dill_rules.RULES,
        *element_rules.RULES,
        *output_rules.RULES,
        *dependency_rules.RULES,
        *worker_rules.RULES,
    ],
    key=lambda r: r.code,
)
RULES: dict[str, Rule] = {r.code: r for r in _RULES}


def rule(code: str) -> Rule:
    """The catalogue entry for ``code``; a KeyError names the unknown code."""
    try:
        return RULES[code]
    except KeyError:
        raise KeyError(f"unknown diagnostic code {code!r}") from None


def all_rules() -> list[Rule]:
    return list(_RULES)


def diagnostic(
    code: str,
    message: str,
    *,
    severity: Severity | str | None = None,
    path: str | None = None,
    file: str | None = None,
    line: int | None = None,
    transform: str | None = None,
    fix: str | None = None,
    **extra: Any,
) -> Diagnostic:
    """Build a diagnostic whose defaults (severity, fix, url) come from the catalogue.

    ``severity`` may only pick one of the rule's own severities (``Rule.severities``): a call
    site cannot make a finding worse or milder than the catalogue, and the rule page, says.
    """
    entry = rule(code)
    chosen = entry.severity if severity is None else Severity(severity)
    if chosen not in entry.severities:
        allowed = ", ".join(s.value for s in entry.severities)
        raise ValueError(f"{code} is never {chosen.value} (the catalogue allows: {allowed})")
    return Diagnostic(
        code=code,
        severity=chosen,
        message=message,
        path=path,
        file=file,
        line=line,
        transform=transform,
        fix=fix if fix is not None else entry.fix,
        url=entry.url,
        extra=extra,
    )
