"""Renderers: the same report as text, JSON, SARIF or GitHub annotations.

The exit code never depends on the format; renderers only decide how findings look.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from beam_deps.diagnostics import Report
from beam_deps.redaction import redact_diagnostic
from beam_deps.report.failure import render_failure
from beam_deps.report.github import render_github
from beam_deps.report.json import render_json
from beam_deps.report.sarif import render_sarif
from beam_deps.report.text import render_text

RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}


def render(report: Report, fmt: str = "text", *, colour: bool = False) -> str:
    """``report`` in ``fmt``; no format ever shows a secret dict key in an object path or a
    URL's password (``beam_deps.redaction``), whichever API made the report."""
    report = dataclasses.replace(
        report, diagnostics=[redact_diagnostic(d) for d in report.diagnostics]
    )
    if fmt == "text":
        return render_text(report, colour=colour)
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(
            f"unknown format {fmt!r}; expected one of {', '.join(RENDERERS)}"
        ) from None
    return renderer(report)


__all__ = [
    "RENDERERS",
    "render",
    "render_failure",
    "render_github",
    "render_json",
    "render_sarif",
    "render_text",
]
