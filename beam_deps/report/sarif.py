"""SARIF 2.1.0, so code-scanning tools can show findings inline on pull requests."""

from __future__ import annotations

import json
import os
from pathlib import Path

from beam_deps import __version__
from beam_deps.catalogue import RULES
from beam_deps.diagnostics import Report
from beam_deps.report.paths import project_root, shown_path

_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# Locations are relative to the project root (``report.paths``, as every other format shows
# them); code-scanning tools resolve them through this base id.
ROOT = "PROJECTROOT"


def render_sarif(report: Report) -> str:
    used = sorted({d.code for d in report.diagnostics})
    rules = [
        {
            "id": code,
            "name": RULES[code].name,
            "shortDescription": {"text": RULES[code].summary},
            "fullDescription": {"text": RULES[code].explanation},
            "help": {"text": RULES[code].fix},
            "helpUri": RULES[code].url,
            "defaultConfiguration": {"level": _LEVELS[RULES[code].severity.value]},
        }
        for code in used
        if code in RULES
    ]
    root = project_root()
    results = []
    for d in report.sorted():
        text = d.message + (f" (at {d.path})" if d.path else "")
        result: dict = {
            "ruleId": d.code,
            "level": _LEVELS[d.severity.value],
            "message": {"text": text},
        }
        if d.file:
            region = {"startLine": d.line} if d.line else {}
            shown = shown_path(d.file, root)
            if os.path.isabs(shown):
                location: dict = {"uri": Path(shown).as_uri()}
            else:
                location = {"uri": shown, "uriBaseId": ROOT}
            result["locations"] = [
                {"physicalLocation": {"artifactLocation": location, "region": region}}
            ]
        props = {k: v for k, v in (("path", d.path), ("transform", d.transform)) if v}
        if props:
            result["properties"] = props
        results.append(result)
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "beam-deps",
                        "version": __version__,
                        "informationUri": "https://beam-deps.github.io/beam-deps/",
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {ROOT: {"uri": root.as_uri() + "/"}},
                "invocations": [{"executionSuccessful": True}],
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
