"""Test helpers: assert in your own test suite that your DoFns and pipelines will survive the trip.

Installed as a pytest plugin (entry point ``pytest11``): the ``assert_picklable`` and
``assert_pipeline_ok`` fixtures are available in every test without an import. Both hide
their own frames (``__tracebackhide__``) so a failure points at the test's line.
"""

from __future__ import annotations

from typing import Any

from beam_deps.diagnostics import Report, Severity

__all__ = ["assert_picklable", "assert_pipeline_ok"]


def assert_picklable(
    obj: Any, pickle_library: str | None = None, *, allow_warnings: bool = True
) -> None:
    """Raise AssertionError listing every diagnostic if ``obj`` would not survive on a worker.

    ``pickle_library`` defaults to cloudpickle (Beam's default), or to a Pipeline's own
    pickler. Errors always fail; warnings fail too when ``allow_warnings`` is false. A whole
    Pipeline gets :func:`assert_pipeline_ok`'s full check: it is never pickled as one
    object, so "it pickles" would say nothing about it.
    """
    __tracebackhide__ = True
    from beam_deps import check_object

    report = check_object(obj, pickle_library=pickle_library)
    library = pickle_library or ("the pipeline's pickler" if report.worker else "cloudpickle")
    _fail_on(
        report, allow_warnings, f"{type(obj).__name__} will not survive pickling with {library}"
    )


def assert_pipeline_ok(
    pipeline: Any, pickle_library: str | None = None, *, allow_warnings: bool = True, **kwargs: Any
) -> Report:
    """Run ``beam-deps check``'s analysis on ``pipeline`` (see :func:`beam_deps.check_pipeline`)
    and raise AssertionError listing every diagnostic if any error (or, with
    ``allow_warnings=False``, any warning) was found. Returns the report otherwise."""
    __tracebackhide__ = True
    from beam_deps.check.pipeline_api import check_pipeline

    report = check_pipeline(pipeline, pickle_library, **kwargs)
    _fail_on(report, allow_warnings, "the pipeline will fail on Beam workers")
    return report


def _fail_on(report: Report, allow_warnings: bool, headline: str) -> None:
    __tracebackhide__ = True
    from beam_deps.report.text import render_text

    failing = [
        d
        for d in report.diagnostics
        if d.severity is Severity.ERROR or (not allow_warnings and d.severity is Severity.WARNING)
    ]
    if failing:
        raise AssertionError(f"{headline}:\n{render_text(report)}")
