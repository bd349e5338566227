"""Options and helpers shared by several commands."""

from __future__ import annotations

import argparse
import sys

from beam_deps.diagnostics import Report

FORMATS = ("text", "json", "sarif", "github")


def add_common_output_args(parser: argparse.ArgumentParser, formats=FORMATS) -> None:
    parser.add_argument("--format", choices=formats, default="text", help="output format")
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks instead of one-line errors"
    )


def split_codes(value: str | None, option: str = "--select") -> list[str]:
    """Codes or code prefixes (``BD1``, ``BD401``); a typo would silently select nothing or
    ignore nothing, so anything that matches no catalogue code is a usage error."""
    from beam_deps.catalogue import all_rules
    from beam_deps.errors import UsageError

    codes = [c.strip().upper() for c in (value or "").split(",") if c.strip()]
    known = [r.code for r in all_rules()]
    for code in codes:
        if not any(k.startswith(code) for k in known):
            raise UsageError(
                f"{option} {code}: no diagnostic code starts with {code!r}; "
                "`beam-deps explain --list` lists them"
            )
    return codes


def emit_report(report: Report, fmt: str, *, exit_zero: bool = False, stream=None) -> int:
    """Print the report and return the exit code: 0 no errors, 1 errors (same in every format)."""
    from beam_deps.report import render

    stream = stream or sys.stdout
    stream.write(render(report, fmt))
    return 0 if (exit_zero or report.ok) else 1
