"""What happens to the detectors' diagnostics before they are reported.

Detectors decide codes and messages; this module only places, merges, dedupes and filters
them, and only by their structured fields (code, transform, path, file, line, ``extra``),
never by reading a message's wording. In order: place each finding at its transform and at
the user's line -> drop what another finding already says (a construction-time BD101 that a
BD1xx error explains; a BD412 that proves a BD302) -> one diagnostic per problem -> inline
``# beam-deps: ignore[CODE]`` comments -> ``--select``/``--ignore``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path

from beam_deps.diagnostics import Diagnostic, Report, Severity
from beam_deps.pickling.locations import is_user_file
from beam_deps.pipeline.payloads import Payload

# extra key of a BD412 whose cause is a class or function the worker looked up in its own
# __main__ (sdk_worker_main) and did not find (detectors.worker_findings): merged into the
# BD302 that predicted it by this field, never by the message's wording.
MISSING_MAIN_ATTRIBUTE = "missing_main_attribute"

# extra key of a diagnostic that holds only when no BD1xx error already covers its
# transform (Beam's construction-time pickling failure, see detectors.construction).
UNLESS_EXPLAINED = "unless_explained"

# Keys that steer post-processing and are never reported.
_STEERING = (MISSING_MAIN_ATTRIBUTE, UNLESS_EXPLAINED)

_IGNORE = re.compile(r"#\s*beam-deps:\s*ignore(?:\[(?P<codes>[A-Za-z0-9_,\s]*)\])?")


def placed_in(d: Diagnostic, payload: Payload) -> Diagnostic:
    """Attach a payload's finding to the transform the user applied (Beam's inner step, as in
    ``Save/WriteImpl/WriteBundles``, goes to ``extra['step']``) and to the user's line."""
    label = payload.user_transform or payload.transform
    if payload.transform and payload.transform != label and not d.transform:
        d.extra.setdefault("step", payload.transform)
    return placed(d, label, (payload.file, payload.line))


def placed(d: Diagnostic, transform: str | None, where: tuple[str | None, int | None]):
    """Attach a finding to its transform and to the line of the user's code."""
    d.transform = d.transform or transform
    file, line = where
    if not d.file or not is_user_file(d.file):
        if file:
            d.file, d.line = file, line
    elif file and (d.file, d.line) != (file, line) and transform:
        d.extra.setdefault("applied_at", f"{file}:{line}")
    return d


def same_transform(a: str | None, b: str | None) -> bool:
    """Equal, or one is a step inside the other (``Save`` and ``Save/WriteImpl``)."""
    if not a or not b:
        return False
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def merged(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Drop what another finding already says, then forget the steering keys.

    A diagnostic marked ``unless_explained`` goes when a BD1xx error is on its transform. A
    BD412 naming an attribute missing from the worker's ``__main__`` is the simulated worker
    proving a BD302 we already reported: keep one diagnostic, marked as confirmed."""
    predicted = {(d.transform, d.path): d for d in diagnostics if d.code == "BD302"}
    explained = [d.transform for d in diagnostics if _explains(d)]
    out = []
    for d in diagnostics:
        if d.extra.get(UNLESS_EXPLAINED) and any(same_transform(t, d.transform) for t in explained):
            continue
        attribute = d.extra.get(MISSING_MAIN_ATTRIBUTE)
        twin = predicted.get((d.transform, attribute)) if attribute else None
        if twin is not None:
            twin.extra["confirmed_by_simulated_worker"] = True
            continue
        out.append(d)
    for d in out:
        for key in _STEERING:
            d.extra.pop(key, None)
    return out


def _explains(d: Diagnostic) -> bool:
    return (
        d.code.startswith("BD1")
        and d.severity is Severity.ERROR
        and not d.extra.get(UNLESS_EXPLAINED)
    )


def dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic per problem: the same object pickled in a composite and its parts
    (a sink in each of Beam's Write steps), or one function used by several transforms, is
    reported once, the other transforms listed in ``also_in``. A module missing on the
    worker is one problem at one line whichever payload reaches it; a transform's size is
    said once, for its largest payload. Two findings are the same problem when all their
    fields are equal (the message included, compared whole, never parsed)."""
    kept: dict[tuple, Diagnostic] = {}
    for d in diagnostics:
        key: tuple = (d.code, d.path, d.file, d.line, d.message)
        if d.code.startswith("BD4") and d.file and d.line:
            key = (d.code, d.file, d.line, d.message)
        elif d.code == "BD109" and d.transform:
            key = (d.code, d.transform)
        first = kept.get(key)
        if first is None:
            kept[key] = d
        elif d.code == "BD109":
            if d.extra.get("size", 0) > first.extra.get("size", 0):
                kept[key] = d
        elif d.transform and d.transform != first.transform:
            also = first.extra.setdefault("also_in", [])
            related = (first.transform or "").startswith(d.transform) or d.transform.startswith(
                f"{first.transform}/"
            )
            if d.transform not in also and not related:
                also.append(d.transform)
    return list(kept.values())


@functools.lru_cache(maxsize=256)
def _lines(file: str) -> tuple[str, ...]:
    try:
        return tuple(Path(file).read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return ()


def _ignored_on(file: str | None, line: int | None, code: str) -> bool:
    if not file or not line:
        return False
    lines = _lines(file)
    if not 0 < line <= len(lines):
        return False
    match = _IGNORE.search(lines[line - 1])
    if not match:
        return False
    codes = [c.strip().upper() for c in (match.group("codes") or "").split(",") if c.strip()]
    return not codes or code.startswith(tuple(codes))


def inline_ignores(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Drop diagnostics whose line (or the line applying their transform) says
    ``# beam-deps: ignore[CODE]``."""
    _lines.cache_clear()
    kept = []
    for d in diagnostics:
        applied = d.extra.get("applied_at")
        applied_file, _, applied_line = (applied or "").rpartition(":")
        if _ignored_on(d.file, d.line, d.code) or (
            applied and _ignored_on(applied_file, int(applied_line or 0), d.code)
        ):
            continue
        kept.append(d)
    return kept


def codes(values: Iterable[str]) -> list[str]:
    """``--select``/``--ignore`` values: comma-separated codes or prefixes, any case."""
    out: list[str] = []
    for value in values:
        out.extend(c.strip().upper() for c in str(value).split(",") if c.strip())
    return out


def filtered(report: Report, select: Iterable[str], ignore: Iterable[str]) -> Report:
    """The report after inline ignores and ``--select``/``--ignore``."""
    report.diagnostics = inline_ignores(report.diagnostics)
    return report.filtered(codes(select), codes(ignore))
