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


def add_ci_output_args(parser: argparse.ArgumentParser) -> None:
    """What CI steps ask of a linter (ruff's names): a file for the report, counts per code."""
    parser.add_argument(
        "--output-file", metavar="FILE", help="write the report to FILE instead of stdout"
    )
    parser.add_argument(
        "--statistics", action="store_true", help="print how many findings of each code, only"
    )


def split_codes(value: str | None, option: str = "--select") -> list[str]:
    """Codes, code prefixes or rule names (``BD1``, ``BD401``, ``lock-recreated``); a typo
    would silently select nothing or ignore nothing, so anything that matches no catalogue
    code is a usage error."""
    from beam_deps.config import rule_codes

    return rule_codes(value or "", option)


def emit_report(
    report: Report,
    fmt: str,
    *,
    exit_zero: bool = False,
    stream=None,
    output_file: str | None = None,
    statistics: bool = False,
    fail_on: str = "error",
) -> int:
    """Print the report and return the exit code: 0 no errors, 1 errors (same in every format).

    Colour only when the text goes to a terminal (``NO_COLOR``/``FORCE_COLOR`` decide first).
    """
    from beam_deps.report import render
    from beam_deps.report.text import statistics_text, use_colour

    stream = stream or sys.stdout
    if statistics:
        text = statistics_text(report)
    else:
        text = render(report, fmt, colour=fmt == "text" and not output_file and use_colour(stream))
    write_output(text, stream, output_file)
    failing = not report.ok or (fail_on == "warning" and report.summary()["warnings"] > 0)
    return 1 if failing and not exit_zero else 0


def write_output(text: str, stream, output_file: str | None) -> None:
    """To ``output_file`` when given (UsageError if it cannot be written), else to ``stream``."""
    from beam_deps.errors import UsageError

    if not output_file:
        stream.write(text)
        return
    try:
        with open(output_file, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        raise UsageError(
            f"--output-file {output_file}: {exc.strerror}; give a writable path"
        ) from None
