"""`beam-deps explain` prints the catalogue; bad input is one line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

from beam_deps.catalogue import RULES, all_rules
from beam_deps.cli import main


def test_explain_prints_the_catalogue_entry(capsys):
    assert main(["explain", "bd106"]) == 0
    out = capsys.readouterr().out
    rule = RULES["BD106"]
    assert out.startswith("BD106 connection-captured (error)")
    assert "Why it breaks on a worker:" in out
    assert rule.url in out
    assert "def setup(self):" in out  # the "use instead" example


def test_explain_list_lists_every_code(capsys):
    assert main(["explain", "--list"]) == 0
    out = capsys.readouterr().out
    for r in all_rules():
        assert r.code in out


def test_explain_json(capsys):
    assert main(["explain", "BD201", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "name-undefined-on-worker"


def test_unknown_code_is_one_line_and_exit_2():
    proc = subprocess.run(
        [sys.executable, "-m", "beam_deps.cli", "explain", "BD999"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "beam-deps: error: unknown diagnostic code 'BD999'; see `beam-deps explain --list`"
    ]
    assert "Traceback" not in proc.stderr


def test_no_command_prints_help_and_exit_2(capsys):
    assert main([]) == 2
    assert "usage: beam-deps" in capsys.readouterr().err


def test_list_with_a_code_is_a_usage_error(capsys):
    assert main(["explain", "--list", "BD101"]) == 2
    assert capsys.readouterr().err.strip() == (
        "beam-deps: error: give either a code or --list, not both"
    )
