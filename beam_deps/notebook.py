"""``%load_ext beam_deps`` and ``%beam_deps_check p``: check a notebook's pipeline in place.

A notebook has no script for ``beam-deps check`` to run; its pipeline lives in the kernel,
whose ``__main__`` is what Beam pickles. The magic runs :func:`beam_deps.check_pipeline` on
it and shows the report as a table (HTML in Jupyter, text in a terminal IPython).
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from beam_deps.diagnostics import Report


class ReportView:
    """A report as IPython displays it: ``_repr_html_`` in Jupyter, the text report elsewhere."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def _repr_html_(self) -> str:
        from beam_deps.report.html import render_html

        return render_html(self.report)

    def __repr__(self) -> str:
        from beam_deps.report.text import render_text

        return render_text(self.report).rstrip("\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="%beam_deps_check",
        description="Check a Beam pipeline built in this notebook, as `beam-deps check` would.",
    )
    parser.add_argument("pipeline", help="the name of a beam.Pipeline variable")
    parser.add_argument("--select", action="append", default=[], help="codes or prefixes to keep")
    parser.add_argument("--ignore", action="append", default=[], help="codes or prefixes to drop")
    parser.add_argument("--pickle-library", default=None, help="override the pipeline's pickler")
    return parser


def beam_deps_check(line: str, namespace: dict[str, Any]) -> ReportView | None:
    """The magic's body, without IPython: parse ``line``, find the pipeline in ``namespace``."""
    from beam_deps.check.pipeline_api import check_pipeline

    try:
        args = _parser().parse_args(shlex.split(line))
    except SystemExit:  # argparse printed the usage or --help
        return None
    if args.pipeline not in namespace:
        raise NameError(
            f"%beam_deps_check: no variable {args.pipeline!r} in this notebook; "
            "give the name of your beam.Pipeline (e.g. %beam_deps_check p)"
        )
    report = check_pipeline(
        namespace[args.pipeline], args.pickle_library, select=args.select, ignore=args.ignore
    )
    return ReportView(report)


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%beam_deps_check`` on ``ipython`` (called by ``%load_ext beam_deps``)."""

    def magic(line: str) -> ReportView | None:
        return beam_deps_check(line, ipython.user_ns)

    magic.__doc__ = _parser().format_help()
    ipython.register_magic_function(magic, magic_kind="line", magic_name="beam_deps_check")


__all__ = ["ReportView", "beam_deps_check", "load_ipython_extension"]
