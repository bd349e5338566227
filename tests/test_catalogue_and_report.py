"""The catalogue is one consistent table, and every renderer says the same thing."""

from __future__ import annotations

import json
import re

import pytest

from beam_deps.catalogue import FAMILIES, RULES, all_rules, rule
from beam_deps.diagnostics import Report, Severity, diagnostic
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
