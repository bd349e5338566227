"""Human output, shaped like ruff's: ``file:line: CODE message``, the offending source line, then
the details. Colour only on a terminal, and never when ``NO_COLOR`` is set (``FORCE_COLOR``
forces it, for CI logs that render ANSI)."""

from __future__ import annotations

import linecache
import os
from pathlib import Path
from typing import TextIO

from beam_deps.diagnostics import Diagnostic, Report
from beam_deps.redaction import redact_source_line
from beam_deps.report.paths import project_root, shown_location, shown_path

_ANSI = {"error": "31", "warning": "33", "info": "36", "code": "1", "dim": "2", "loc": "1"}


def location_text(d: Diagnostic, root: Path | None = None) -> str:
    """``file:line`` with the file relative to the project root (``report.paths``)."""
    if not d.file:
        return d.transform or d.path or "<object>"
    filename = shown_path(d.file, root)
    return f"{filename}:{d.line}" if d.line else filename


def use_colour(stream: TextIO | None) -> bool:
    """NO_COLOR (any value) wins, then FORCE_COLOR, then whether ``stream`` is a terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _source_line(d: Diagnostic) -> str | None:
    """The user's line the finding points at, as ruff shows it under each finding."""
    if not d.file or not d.line:
        return None
    text = linecache.getline(d.file, d.line).rstrip()
    return redact_source_line(text) if text else None


def render_text(report: Report, *, colour: bool = False, source: bool = True) -> str:
    def paint(text: str, style: str) -> str:
        return f"\033[{_ANSI[style]}m{text}\033[0m" if colour else text

    linecache.checkcache()
    root = project_root()
    lines: list[str] = []
    for d in report.sorted():
        severity = d.severity.value
        lines.append(
            f"{paint(location_text(d, root), 'loc')}: {paint(d.code, 'code')} "
            f"{paint(f'[{severity}]', severity)} {d.message}"
        )
        code_line = _source_line(d) if source else None
        if code_line is not None:
            number = str(d.line)
            lines.append(f"    {' ' * len(number)} |")
            lines.append(f"    {paint(number, 'dim')} | {code_line}")
            lines.append(f"    {' ' * len(number)} |")
        if d.transform:
            applied = d.extra.get("applied_at")
            where = f" (applied at {shown_location(applied, root)})" if applied else ""
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


def statistics_text(report: Report) -> str:
    """``--statistics``: one line per code, most frequent first, as ruff prints it."""
    counts: dict[str, list] = {}
    for d in report.diagnostics:
        entry = counts.setdefault(d.code, [0, d.severity.value])
        entry[0] += 1
    rows = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))
    return "".join(f"{n:5d}\t{code}\t[{sev}]\n" for code, (n, sev) in rows)


def summary_line(report: Report) -> str:
    """The third severity is called ``info`` everywhere (data, JSON, text, docs)."""
    counts = report.summary()
    if not report.diagnostics:
        return "No problems found."
    parts = [
        f"{counts['errors']} error{'s' * (counts['errors'] != 1)}",
        f"{counts['warnings']} warning{'s' * (counts['warnings'] != 1)}",
    ]
    if counts["infos"]:
        parts.append(f"{counts['infos']} info")
    return "Found " + ", ".join(parts) + "."
