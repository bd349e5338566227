"""The report as an HTML table, for notebooks (``%beam_deps_check``): one row per finding."""

from __future__ import annotations

from html import escape

from beam_deps.diagnostics import Report
from beam_deps.report.text import location_text, summary_line

_COLOURS = {"error": "#c62828", "warning": "#b26a00", "info": "#1565c0"}


def render_html(report: Report) -> str:
    rows = []
    for d in report.sorted():
        severity = d.severity.value
        code = escape(d.code)
        if d.url:
            code = f'<a href="{escape(d.url)}" target="_blank">{code}</a>'
        details = escape(d.message)
        if d.fix:
            details += f"<br><small><b>fix:</b> {escape(d.fix)}</small>"
        rows.append(
            "<tr>"
            f"<td>{code}</td>"
            f'<td style="color:{_COLOURS.get(severity, "inherit")}">{severity}</td>'
            f"<td><code>{escape(location_text(d))}</code></td>"
            f"<td>{escape(d.transform or '')}</td>"
            f'<td style="text-align:left">{details}</td>'
            "</tr>"
        )
    summary = f"<p><b>beam-deps:</b> {escape(summary_line(report))}</p>"
    if not rows:
        return summary
    head = "".join(f"<th>{h}</th>" for h in ("code", "severity", "where", "transform", "finding"))
    return (
        f'<table class="beam-deps-report"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{summary}"
    )


__all__ = ["render_html"]
