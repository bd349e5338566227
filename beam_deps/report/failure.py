"""When the check cannot run at all (exit 2), machine formats still get a valid document that
says so: a CI step parsing stdout as JSON or uploading SARIF must not choke on an empty file."""

from __future__ import annotations

import json

from beam_deps import __version__
from beam_deps.report.github import _data
from beam_deps.report.sarif import SCHEMA


def render_failure(message: str, fmt: str) -> str | None:
    """The document for ``fmt`` saying the check did not run; None for text (stderr says it)."""
    if fmt == "json":
        doc = {
            "diagnostics": [],
            "summary": {"errors": 0, "warnings": 0, "infos": 0, "ok": False},
            "error": message,
        }
        return json.dumps(doc, indent=2) + "\n"
    if fmt == "sarif":
        run = {
            "tool": {"driver": {"name": "beam-deps", "version": __version__,
                                "informationUri": "https://beam-deps.github.io/beam-deps/"}},
            "invocations": [
                {
                    "executionSuccessful": False,
                    "toolExecutionNotifications": [
                        {"level": "error", "message": {"text": message}}
                    ],
                }
            ],
            "results": [],
        }  # fmt: skip
        return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"
    if fmt == "github":
        return f"::error title=beam-deps could not run::{_data(message)}\n"
    return None


__all__ = ["render_failure"]
