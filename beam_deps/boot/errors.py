"""The one exception type of the worker boot.

A boot failure happens on a machine the pipeline author cannot see, so each error carries a
catalogue code and one line that says what went wrong, where, and what to do about it: that
line is what ends up in the worker log (and, through Beam's logging service, in the job's log).
"""

from __future__ import annotations

from beam_deps.errors import BeamDepsError


class BootError(BeamDepsError):
    """The boot cannot go on: ``code`` is a BD5xx catalogue code; ``str()`` is one log line."""

    def __init__(self, code: str, message: str, fix: str | None = None) -> None:
        self.code = code
        self.message = message
        self.fix = fix if fix is not None else _catalogue_fix(code)
        super().__init__(self.line())

    def line(self) -> str:
        fix = f"; {self.fix}" if self.fix else ""
        return f"{self.code} {self.message}{fix}"


def _catalogue_fix(code: str) -> str:
    try:
        from beam_deps.catalogue import rule

        fix = rule(code).fix.rstrip(".")
    except Exception:  # an unknown code must never hide the real error
        return ""
    # It continues the error line: "...; stage again with ...", not "...; Stage again ...".
    if fix[:1].isupper() and fix[1:2].islower():
        fix = fix[0].lower() + fix[1:]
    return fix
