"""Test helpers: assert in your own test suite that your DoFns will survive the trip.

Installed as a pytest plugin (entry point ``pytest11``): the ``assert_picklable`` fixture
is available in every test without an import.
"""

from __future__ import annotations

from typing import Any

from beam_deps.diagnostics import Severity

__all__ = ["assert_picklable"]


def assert_picklable(
    obj: Any, pickle_library: str = "cloudpickle", *, allow_warnings: bool = True
) -> None:
    """Raise AssertionError listing every diagnostic if ``obj`` would not survive on a worker.

    Errors always fail; warnings fail too when ``allow_warnings`` is false.
    """
    from beam_deps.pickling import check_object
    from beam_deps.report.text import render_text

    report = check_object(obj, pickle_library=pickle_library)
    failing = [
        d
        for d in report.diagnostics
        if d.severity is Severity.ERROR or (not allow_warnings and d.severity is Severity.WARNING)
    ]
    if failing:
        raise AssertionError(
            f"{type(obj).__name__} will not survive pickling with {pickle_library}:\n"
            + render_text(report)
        )
