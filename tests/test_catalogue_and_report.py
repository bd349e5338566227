"""The catalogue is one consistent table, and every renderer says the same thing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from beam_deps.catalogue import FAMILIES, RULES, all_rules, diagnostic, rule
from beam_deps.diagnostics import Severity
from beam_deps.docs.rules import code_language, rule_markdown


def test_every_rule_is_complete_and_well_formed():
    codes = [r.code for r in all_rules()]
    assert len(codes) == len(set(codes)), "duplicate codes"
    names = [r.name for r in all_rules()]
    assert len(names) == len(set(names)), "duplicate names"
    for r in all_rules():
        assert re.fullmatch(r"BD\d{3}", r.code), r.code
        assert r.family == r.code[:3] and r.family in FAMILIES
        assert re.fullmatch(r"[a-z0-9-]+", r.name), r.name
        assert r.summary.endswith(".") and r.explanation and r.fix
        assert r.url.endswith(f"/{r.code}/")


@pytest.mark.parametrize("r", all_rules(), ids=lambda r: r.code)
def test_every_rule_has_an_example_and_its_fix(r):
    assert r.example.strip() and r.example_fixed.strip(), f"{r.code} needs both examples"
    assert r.example.strip() != r.example_fixed.strip()
    for text in (r.example, r.example_fixed):
        assert len(text.strip().splitlines()) <= 10, f"{r.code}: keep examples short"
        assert text.endswith("\n")


@pytest.mark.parametrize("r", all_rules(), ids=lambda r: r.code)
def test_python_examples_parse(r):
    """What the rule page highlights as Python is Python (the page's own language choice)."""
    for which, text in (("example", r.example), ("example_fixed", r.example_fixed)):
        if code_language(text) == "python":
            try:
                ast.parse(text)
            except SyntaxError as exc:
                pytest.fail(f"{r.code} {which} is shown as Python but does not parse: {exc}")
        assert f"```{code_language(text)}\n{text.rstrip()}\n```" in rule_markdown(r)


def test_example_languages():
    assert code_language("with beam.Pipeline() as p:\n    ...\n") == "python"
    assert code_language("# a comment\n$ beam-deps stage job.py\noutput\n") == "console"
    assert code_language("# why\nbeam-deps-boot[w]: error: BD501 x\n") == "text"
    assert code_language("# image\nENV BEAM_DEPS_CACHE_DIR=/c\n") == "dockerfile"


def test_terminal_section_offers_only_what_applies():
    def terminal(code: str) -> str:
        return rule_markdown(rule(code)).split("## In the terminal\n", 1)[1]

    for r in all_rules():
        text = terminal(r.code)
        assert f"`beam-deps explain {r.code}`" in text
        offers_filters = f"`--ignore {r.code}`" in text or f"ignore[{r.code}]" in text
        if r.family == "BD5":  # boot errors: in the worker's log, nothing to filter
            assert not offers_filters and f"error: {r.code} MESSAGE" in text
        elif "check" not in r.reported_by:  # only staging reports them
            assert not offers_filters and "`beam-deps check` does not" in text
        else:
            assert offers_filters and "`beam-deps check`" in text
        assert ("`beam-deps stage`" in text) == ("stage" in r.reported_by), r.code
    assert "`beam-deps stage`" in terminal("BD420")


def test_unknown_code_names_itself():
    with pytest.raises(KeyError, match="BD999"):
        rule("BD999")


def test_diagnostic_defaults_come_from_the_catalogue():
    d = diagnostic("BD104", "lock is recreated", path="Fn.lock")
    assert d.severity is Severity.WARNING
    assert d.fix == RULES["BD104"].fix
    assert d.url == RULES["BD104"].url
    assert diagnostic("BD105", "write mode", severity="error").severity is Severity.ERROR
    # a call site may pick only a severity the catalogue (and so the rule page) lists
    with pytest.raises(ValueError, match="BD202 is never error"):
        diagnostic("BD202", "resolves by accident", severity="error")
    assert diagnostic("BD303", "exists twice").severity is Severity.WARNING
    assert diagnostic("BD303", "cannot submit", severity="error").severity is Severity.ERROR


def test_variable_severities_are_explained_where_they_are_shown():
    varying = [r for r in all_rules() if len(r.severities) > 1]
    assert {"BD303", "BD403"} <= {r.code for r in varying}
    for r in varying:
        page = rule_markdown(r)
        assert "## Severity\n" in page and r.severity_note in page
        for s in r.severities:
            assert f"`{s.value}`" in page.split("\n", 3)[2] and s.value in r.severity_note, r.code
    for r in all_rules():
        assert r.severity.value in rule_markdown(r).split("\n", 3)[2]


# Where each room's findings surface: check (and its API) reads pickling/pipeline/check;
# stage reads staging/; the worker's boot is boot/. environment/ serves check and stage both.
_ROOM_PROGRAM = {
    "check": {"check"},
    "pickling": {"check"},
    "pipeline": {"check"},
    "staging": {"stage"},
    "boot": {"boot"},
    "environment": {"check", "stage"},
}


def _emitted_codes() -> dict[str, dict[str, set[str]]]:
    """code -> {room: programs} for every room whose source emits it (string literals)."""
    import beam_deps

    root = Path(beam_deps.__file__).parent
    found: dict[str, dict[str, set[str]]] = {}
    for path in root.rglob("*.py"):
        room = path.relative_to(root).parts[0]
        if room not in _ROOM_PROGRAM:
            continue
        for code in re.findall(r'"(BD\d{3})"', path.read_text()):
            found.setdefault(code, {})[room] = _ROOM_PROGRAM[room]
    return found


def test_reported_by_matches_where_each_code_is_emitted():
    """`reported_by` (what the pages and these tests read) agrees with the code: a program
    that emits a code is listed, and a listed program can emit it."""
    emitted = _emitted_codes()
    for r in all_rules():
        rooms = emitted.get(r.code)
        assert rooms, f"{r.code} is in the catalogue but nothing emits it"
        certain = set().union(*(p for room, p in rooms.items() if room != "environment"))
        possible = set().union(*rooms.values())
        assert certain <= set(r.reported_by) <= possible, (r.code, r.reported_by, rooms)
