"""Issue 13's leftovers, issue 12 item 10 and issue 14 item 15, tried as a user would: unused
ignore comments (BD006), `run`'s check options, `out` from pyproject, one path style in every
format, a missing `--setup_file`, secrets in object paths and URLs, and `package list` /
`requirements` on a script whose own arguments are required."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from beam_deps.check import check_script

IGNORES = """\
import threading
import apache_beam as beam
lock = threading.Lock()
DOC = \"\"\" # beam-deps: ignore[BD110] inside a string is no comment \"\"\"
with beam.Pipeline() as p:
    nums = p | beam.Create([1])
    nums | "A" >> beam.Map(lambda x: (lock, x))  # beam-deps: ignore[BD104]
    nums | "B" >> beam.Map(lambda x: x)  # beam-deps: ignore[BD104, BD2]
    nums | "C" >> beam.Map(lambda x: x)  # beam-deps: ignore
    nums | "D" >> beam.Map(lambda x: (lock, x))  # beam-deps: ignore[BD104,BD999]
"""


def beam_deps(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "beam_deps", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**environ, **env},
        timeout=600,
    )


def unused(report) -> list[tuple[int, list[str] | None]]:
    return [(d.line, d.extra.get("unused")) for d in report.diagnostics if d.code == "BD006"]


# ---------------------------------------------------------------------------- BD006
def test_ignore_comments_that_silence_nothing_are_reported(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(IGNORES)
    report = check_script(script)
    assert unused(report) == [(8, ["BD104", "BD2"]), (9, None), (10, ["BD999"])]
    assert [d.code for d in report.diagnostics if d.code != "BD006"] == []  # A and D silenced
    (bare,) = [d for d in report.diagnostics if d.line == 9]
    assert bare.file == str(script) and "silences nothing" in bare.message
    (typo,) = [d for d in report.diagnostics if d.line == 10]
    assert "BD999: no diagnostic code starts so" in typo.message
    assert report.ok  # a warning: it never fails a run on its own


def test_codes_filtered_out_of_the_run_are_never_called_unused(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(IGNORES)
    # --ignore BD104: the comments' BD104 are not looked for; BD2 still is
    assert unused(check_script(script, ignore=["BD104"])) == [
        (8, ["BD2"]),
        (9, None),
        (10, ["BD999"]),
    ]
    # --select BD1: BD006 itself is not selected, so nothing is said
    assert unused(check_script(script, select=["BD1"])) == []
    # --select BD0,BD1: BD2 is out of the run, BD104 is in
    assert unused(check_script(script, select=["BD0", "BD1"])) == [
        (8, ["BD104"]),
        (9, None),
        (10, ["BD999"]),
    ]
    # BD006 can itself be ignored
    assert unused(check_script(script, ignore=["BD006"])) == []


def test_an_ignore_comment_in_a_local_module_is_read_too(tmp_path):
    (tmp_path / "helpers.py").write_text(
        "def double(x):  # beam-deps: ignore[BD104]\n    return 2 * x\n"
    )
    script = tmp_path / "job.py"
    script.write_text(
        "import apache_beam as beam\nfrom helpers import double\n"
        "with beam.Pipeline() as p:\n    p | beam.Create([1]) | beam.Map(double)\n"
    )
    found = [
        (Path(d.file).name, d.line) for d in check_script(script).diagnostics if d.code == "BD006"
    ]
    assert found == [("helpers.py", 1)]
