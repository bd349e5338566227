"""GitHub Actions workflow commands: findings appear as annotations on the changed lines."""

from __future__ import annotations

from beam_deps.diagnostics import Report
from beam_deps.report.paths import project_root, shown_path
from beam_deps.report.text import summary_line

_LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    root = project_root()
    lines = []
    for d in report.sorted():
        props = []
        if d.file:
            props.append(f"file={_prop(shown_path(d.file, root))}")
            if d.line:
                props.append(f"line={d.line}")
        props.append(f"title={_prop(d.code + ' ' + (d.transform or d.path or ''))}")
        body = (
            d.message
            + (f"\npath: {d.path}" if d.path else "")
            + (f"\nfix: {d.fix}" if d.fix else "")
        )
        lines.append(f"::{_LEVELS[d.severity.value]} {','.join(props)}::{_data(body)}")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
