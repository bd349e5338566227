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
import tokenize
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from beam_deps.diagnostics import Diagnostic, Report, Severity
from beam_deps.pickling.locations import is_user_file
from beam_deps.pipeline.payloads import Payload
from beam_deps.redaction import redact_diagnostic

# extra key of a BD412 whose cause is a class or function the worker looked up in its own
# __main__ (sdk_worker_main) and did not find (detectors.worker_findings): merged into the
# BD302 that predicted it by this field, never by the message's wording.
MISSING_MAIN_ATTRIBUTE = "missing_main_attribute"

# extra key of a diagnostic that holds only when no BD1xx error already covers its
# transform (Beam's construction-time pickling failure, see detectors.construction).
UNLESS_EXPLAINED = "unless_explained"
# set by a detector whose error proves, by running, what a more specific rule explains:
# it goes when another error is on its transform
UNLESS_SAID = "unless_said"

# the shuffle (its full label) whose keys a finding is about: an ``unless_said`` finding also
# goes when another error is about the same shuffle (BD310 names the key's cause)
FOR_SHUFFLE = "for_shuffle"

# Keys that make a finding conditional; with FOR_SHUFFLE, they steer post-processing and are
# never reported.
_CONDITIONAL = (MISSING_MAIN_ATTRIBUTE, UNLESS_EXPLAINED, UNLESS_SAID)
_STEERING = (*_CONDITIONAL, FOR_SHUFFLE)

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

    A diagnostic marked ``unless_explained`` goes when a BD1xx error is on its transform, one
    marked ``unless_said`` when any other error is (the rule that names the cause says it). A
    BD412 naming an attribute missing from the worker's ``__main__`` is the simulated worker
    proving a BD302 we already reported: keep one diagnostic, marked as confirmed."""
    predicted = {(d.transform, d.path): d for d in diagnostics if d.code == "BD302"}
    explained = [d.transform for d in diagnostics if _explains(d)]
    sure = [
        d
        for d in diagnostics
        if d.severity is Severity.ERROR and not any(d.extra.get(k) for k in _CONDITIONAL)
    ]
    said = [d.transform for d in sure]
    shuffles = {d.extra[FOR_SHUFFLE] for d in sure if d.extra.get(FOR_SHUFFLE)}
    out = []
    for d in diagnostics:
        if d.extra.get(UNLESS_EXPLAINED) and any(same_transform(t, d.transform) for t in explained):
            continue
        if d.extra.get(UNLESS_SAID) and (
            any(same_transform(t, d.transform) for t in said)
            or d.extra.get(FOR_SHUFFLE) in shuffles
        ):
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


def _comment_codes(text: str) -> list[str] | None:
    """The codes an ignore comment in ``text`` lists ([] for a bare ``ignore``), or None."""
    match = _IGNORE.search(text)
    if not match:
        return None
    return [c.strip().upper() for c in (match.group("codes") or "").split(",") if c.strip()]


def _ignoring(file: str | None, line: int | None, code: str) -> tuple[str, int, str] | None:
    """The comment (file, line, listed code or "" for a bare one) that silences ``code`` on
    that line, if any."""
    if not file or not line:
        return None
    lines = _lines(file)
    if not 0 < line <= len(lines):
        return None
    listed = _comment_codes(lines[line - 1])
    if listed is None:
        return None
    if not listed:
        return (file, line, "")
    for prefix in listed:
        if code.startswith(prefix):
            return (file, line, prefix)
    return None


def inline_ignores(
    diagnostics: list[Diagnostic], used: set[tuple[str, int, str]] | None = None
) -> list[Diagnostic]:
    """Drop diagnostics whose line (or the line applying their transform) says
    ``# beam-deps: ignore[CODE]``; each comment (and code in it) that silenced one is added
    to ``used``, for ``unused_ignores``."""
    _lines.cache_clear()
    used = set() if used is None else used
    kept = []
    for d in diagnostics:
        applied = d.extra.get("applied_at")
        applied_file, _, applied_line = (applied or "").rpartition(":")
        by = _ignoring(d.file, d.line, d.code)
        if by is None and applied:
            by = _ignoring(applied_file, int(applied_line or 0), d.code)
        if by is not None:
            used.add(by)
            continue
        kept.append(d)
    return kept


def ignore_comments(file: str) -> list[tuple[int, list[str]]]:
    """Every ``# beam-deps: ignore`` comment in ``file``: (line, listed codes). In Python
    source only real comments count (tokenize), never the same words inside a string; in
    any other file (a requirements file) a line whose comment says it."""
    if not file.endswith(".py"):
        return [
            (number, listed)
            for number, text in enumerate(_lines(file), 1)
            if "#" in text and (listed := _comment_codes(text[text.index("#") :])) is not None
        ]
    out: list[tuple[int, list[str]]] = []
    try:
        with tokenize.open(file) as source:
            for token in tokenize.generate_tokens(source.readline):
                if token.type == tokenize.COMMENT:
                    listed = _comment_codes(token.string)
                    if listed is not None:
                        out.append((token.start[0], listed))
    except (OSError, SyntaxError, tokenize.TokenError, UnicodeDecodeError):
        return []
    return out


def unused_ignores(
    sources: Iterable[str | Path],
    used: set[tuple[str, int, str]],
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
) -> list[Diagnostic]:
    """BD006 for each ignore comment in ``sources`` (and each code it lists) that silenced
    nothing in this run, as ruff's RUF100 says of ``# noqa``. A code ``--select``/``--ignore``
    leaves out is never called unused (this run did not look for it), nor a code only
    staging or the boot reports (check never sees those findings)."""
    from beam_deps.catalogue import RULES, diagnostic

    select, ignore = tuple(codes(select)), tuple(codes(ignore))

    def looked_for(code: str) -> bool:
        known = [c for c in RULES if c.startswith(code) or code.startswith(c)]
        if not known:
            return True  # no such code: it can silence nothing, say so
        return any(
            "check" in RULES[c].reported_by
            and (not select or c.startswith(select))
            and not c.startswith(ignore or ("\0",))
            for c in known
        )

    out: list[Diagnostic] = []
    seen: set[str] = set()
    for source in sources:
        file = str(source)
        if file in seen or not is_user_file(file):
            continue
        seen.add(file)
        for line, listed in ignore_comments(file):
            if not listed:
                if (file, line, "") not in used and looked_for("BD"):
                    out.append(
                        diagnostic(
                            "BD006",
                            "`# beam-deps: ignore` silences nothing: no finding is on this line",
                            file=file,
                            line=line,
                        )
                    )
                continue
            unused = [c for c in listed if (file, line, c) not in used and looked_for(c)]
            if unused:
                unknown = [c for c in unused if not any(r.startswith(c) for r in RULES)]
                what = ", ".join(unused)
                note = f" ({', '.join(unknown)}: no diagnostic code starts so)" if unknown else ""
                out.append(
                    diagnostic(
                        "BD006",
                        f"`# beam-deps: ignore[{', '.join(listed)}]` does not silence {what} "
                        f"here: no such finding is on this line{note}",
                        file=file,
                        line=line,
                        unused=unused,
                    )
                )
    return out


def sources_of(loaded: Any) -> list[str]:
    """The script (``LoadedScript``) and the local modules it imported, found in its folder
    and the folders it put on ``sys.path`` (the loader has dropped them from ``sys.modules``
    by now): where the ignore comments BD006 looks at are."""
    out = [str(loaded.script_path)] if loaded.script_path else []
    folders = [loaded.script_dir, *loaded.path_added] if loaded.script_dir else []
    local = {
        top: [f for f in folders if Path(f, top).is_dir() or Path(f, top + ".py").is_file()]
        for top in {name.partition(".")[0] for name in loaded.modules_imported}
    }
    for name in sorted(loaded.modules_imported):
        parts = name.split(".")
        for folder in local[parts[0]]:
            base = Path(folder, *parts)
            found = [f for f in (base.with_suffix(".py"), base / "__init__.py") if f.is_file()]
            if found:
                out.append(str(found[0]))
                break
    return out


def codes(values: Iterable[str]) -> list[str]:
    """``--select``/``--ignore`` values: comma-separated codes or prefixes, any case."""
    out: list[str] = []
    for value in values:
        out.extend(c.strip().upper() for c in str(value).split(",") if c.strip())
    return out


def filtered(
    report: Report,
    select: Iterable[str],
    ignore: Iterable[str],
    sources: Iterable[str | Path] = (),
) -> Report:
    """The report after inline ignores and ``--select``/``--ignore``, with no secret shown
    (``redaction``: a secret dict key in a path, a URL's password).

    ``sources`` are the user's files the check ran (the script, its local modules): an ignore
    comment there that silenced nothing is BD006. The files findings point at are read too.
    When part of the analysis stopped early (BD001), nothing is called unused: what the
    comment silences may simply not have been reached."""
    used: set[tuple[str, int, str]] = set()
    before = [redact_diagnostic(d) for d in report.diagnostics]
    report.diagnostics = inline_ignores(before, used)
    if not any(d.code == "BD001" for d in before):
        files = [*sources, *(d.file for d in before if d.file)]
        report.diagnostics += unused_ignores(files, used, select, ignore)
    return report.filtered(codes(select), codes(ignore))
