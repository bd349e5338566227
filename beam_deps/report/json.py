"""Machine output: one JSON document, stable keys, for CI and editors."""

from __future__ import annotations

import json

from beam_deps.diagnostics import Report
from beam_deps.report.paths import project_root, shown_location, shown_path

FIELDS = ("code", "severity", "message", "path", "transform", "file", "line", "fix", "url")


def report_dict(report: Report) -> dict:
    """``file`` (and ``extra.applied_at``) are relative to ``root``, the project root, when
    inside it, else absolute (``report.paths``): the same paths every format shows."""
    root = project_root()
    diagnostics = []
    for d in report.sorted():
        data = d.to_dict()
        item = {key: data.get(key) for key in FIELDS}
        if item["file"]:
            item["file"] = shown_path(item["file"], root)
        if d.extra:
            item["extra"] = dict(d.extra)
            if isinstance(d.extra.get("applied_at"), str):
                item["extra"]["applied_at"] = shown_location(d.extra["applied_at"], root)
        diagnostics.append(item)
    out = {
        "root": str(root),
        "diagnostics": diagnostics,
        "summary": {**report.summary(), "ok": report.ok},
    }
    if report.worker is not None:
        out["worker"] = report.worker  # the worker model checked against
    return out


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, default=str) + "\n"
