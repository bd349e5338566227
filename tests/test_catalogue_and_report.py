"""The catalogue is one consistent table, and every renderer says the same thing."""

from __future__ import annotations

import ast
import json
import re

import pytest

from beam_deps.catalogue import FAMILIES, RULES, all_rules, diagnostic, rule
from beam_deps.diagnostics import Report, Severity
from beam_deps.docs.rules import code_language, rule_markdown
from beam_deps.report import render


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
        elif r.code in ("BD404", "BD411", "BD421", "BD422"):  # only staging reports them
            assert not offers_filters and "`beam-deps check` does not" in text
        else:
            assert offers_filters and "`beam-deps check`" in text
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


def sample_report() -> Report:
    return Report(
        [
            diagnostic(
                "BD106",
                "sqlite3.Connection cannot be pickled",
                path="EnrichFn.client._conn",
                file="/abs/pipeline.py",
                line=12,
                transform="ParDo(EnrichFn)",
            ),
            diagnostic("BD104", "lock is recreated", path="EnrichFn.lock"),
        ]
    )


def test_report_ok_summary_and_filter():
    report = sample_report()
    assert not report.ok
    assert report.summary() == {"errors": 1, "warnings": 1, "infos": 0}
    assert report.filtered(ignore=["BD106"]).ok
    assert [d.code for d in report.filtered(select=["BD1"]).diagnostics] == ["BD106", "BD104"]
    assert report.filtered(select=["BD2"]).diagnostics == []


def test_text_is_shaped_like_ruff():
    out = render(sample_report(), "text")
    assert "pipeline.py:12: BD106 [error] sqlite3.Connection cannot be pickled" in out
    assert "    path:      EnrichFn.client._conn" in out
    assert "    transform: ParDo(EnrichFn)" in out
    assert out.rstrip().endswith("Found 1 error, 1 warning.")
    assert render(Report(), "text").strip() == "No problems found."


def test_json_has_the_documented_fields():
    doc = json.loads(render(sample_report(), "json"))
    first = doc["diagnostics"][0]
    assert set(first) == {
        "code",
        "severity",
        "message",
        "path",
        "transform",
        "file",
        "line",
        "fix",
        "url",
    }
    assert doc["summary"] == {"errors": 1, "warnings": 1, "infos": 0, "ok": False}


def test_sarif_is_valid_shape():
    doc = json.loads(render(sample_report(), "sarif"))
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {"BD104", "BD106"}
    result = run["results"][0]
    assert result["ruleId"] == "BD106" and result["level"] == "error"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 12}


def test_github_annotations_escape_properly():
    report = Report([diagnostic("BD101", "bad, really: 100%", file="/a,b.py", line=3)])
    out = render(report, "github")
    line = out.splitlines()[0]
    assert line.startswith("::error file=/a%2Cb.py,line=3,title=BD101")
    assert "bad, really: 100%25" in line


def test_unknown_format_is_rejected():
    with pytest.raises(ValueError, match="unknown format"):
        render(Report(), "xml")
