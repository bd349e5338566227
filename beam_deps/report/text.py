"""Human output, shaped like ruff's: ``file:line: CODE message`` and then the details."""

from __future__ import annotations

import os

from beam_deps.diagnostics import Diagnostic, Report


def location_text(d: Diagnostic) -> str:
    if not d.file:
        return d.transform or d.path or "<object>"
    filename = _relative(d.file)
    return f"{filename}:{d.line}" if d.line else filename


def _relative(filename: str) -> str:
    try:
        rel = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if rel.startswith(".." + os.sep + "..") else rel


def _relative_location(location: str) -> str:
    filename, _, line = location.rpartition(":")
    return f"{_relative(filename)}:{line}" if filename else location


def render_text(report: Report) -> str:
    lines: list[str] = []
    for d in report.sorted():
        lines.append(f"{location_text(d)}: {d.code} [{d.severity.value}] {d.message}")
        if d.transform:
            applied = d.extra.get("applied_at")
            where = f" (applied at {_relative_location(applied)})" if applied else ""
            lines.append(f"    transform: {d.transform}{where}")
            if d.extra.get("also_in"):
                lines.append(f"    also in:   {', '.join(d.extra['also_in'])}")
        if d.path and d.path != d.transform:
            lines.append(f"    path:      {d.path}")
        if d.fix:
            lines.append(f"    fix:       {d.fix}")
        if d.url:
            lines.append(f"    docs:      {d.url}")
        lines.append("")
    if report.worker and report.worker.get("kind") != "local":
        lines.append(f"Worker model: {report.worker['label']}")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def summary_line(report: Report) -> str:
    counts = report.summary()
    if not report.diagnostics:
        return "No problems found."
    parts = [
        f"{counts['errors']} error{'s' * (counts['errors'] != 1)}",
        f"{counts['warnings']} warning{'s' * (counts['warnings'] != 1)}",
    ]
    if counts["infos"]:
        parts.append(f"{counts['infos']} note{'s' * (counts['infos'] != 1)}")
    return "Found " + ", ".join(parts) + "."
