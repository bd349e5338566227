"""Machine output: one JSON document, stable keys, for CI and editors."""

from __future__ import annotations

import json

from beam_deps.diagnostics import Report

FIELDS = ("code", "severity", "message", "path", "transform", "file", "line", "fix", "url")


def report_dict(report: Report) -> dict:
    diagnostics = []
    for d in report.sorted():
        data = d.to_dict()
        item = {key: data.get(key) for key in FIELDS}
        if d.extra:
            item["extra"] = d.extra
        diagnostics.append(item)
    out = {"diagnostics": diagnostics, "summary": {**report.summary(), "ok": report.ok}}
    if report.worker is not None:
        out["worker"] = report.worker  # the worker model checked against
    return out


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, default=str) + "\n"
