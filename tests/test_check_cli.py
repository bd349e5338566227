"""`beam-deps check`: formats, exit codes, options, inline ignores, bad scripts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import HAS_DILL

import beam_deps
from beam_deps.check import check_script
from beam_deps.cli import main

EXAMPLES = Path(__file__).parent / "examples"
BUNDLED = Path(beam_deps.__file__).parent / "examples"


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_exit_code_is_the_same_in_every_format(fmt, capsys):
    bad_code, bad_out, _ = cli(capsys, "check", str(BUNDLED / "pitfalls.py"), "--format", fmt)
    good_code, good_out, _ = cli(capsys, "check", str(BUNDLED / "clean.py"), "--format", fmt)
    assert (bad_code, good_code) == (1, 0)
    if fmt in ("json", "sarif"):
        json.loads(bad_out)
        json.loads(good_out)
    if fmt == "github":
        assert bad_out.startswith("::error")


def test_bundled_pitfalls_report_reads_like_ruff(capsys):
    code, out, _ = cli(capsys, "check", str(BUNDLED / "pitfalls.py"))
    assert code == 1
    headers = [line for line in out.splitlines() if ".py:" in line and not line.startswith(" ")]
    codes = {line.split(": ")[1].split()[0] for line in headers}
    assert codes == {"BD106", "BD302", "BD403", "BD104", "BD205"}
    # the line to change is the assignment that captured the connection; the transform's
    # line is given beside its label
    assert "pitfalls.py:25: BD106 [error] sqlite3.Connection cannot be pickled" in out
    assert re.search(
        r"\n    transform: Price \(applied at \S*beam_deps/examples/pitfalls\.py:48\)\n"
        r"    path:      LookupPrice\.db\n    fix:",
        out,
    )


def test_json_output_has_every_field(capsys):
    code, out, _ = cli(capsys, "check", str(BUNDLED / "pitfalls.py"), "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["summary"]["errors"] == 4
    first = data["diagnostics"][0]
    assert {
        "code",
        "severity",
        "message",
        "path",
        "transform",
        "file",
        "line",
        "fix",
        "url",
    } <= set(first)


def test_select_ignore_and_exit_zero(capsys):
    script = str(BUNDLED / "pitfalls.py")
    _, out, _ = cli(capsys, "check", script, "--select", "BD1", "--format", "json")
    assert {d["code"] for d in json.loads(out)["diagnostics"]} == {"BD104", "BD106"}
    _, out, _ = cli(capsys, "check", script, "--ignore", "BD1,BD3", "--format", "json")
    assert {d["code"] for d in json.loads(out)["diagnostics"]} == {"BD205", "BD403"}
    assert cli(capsys, "check", script, "--exit-zero")[0] == 0
    # BD205 is an error there: run() prints TOTALS after the pipeline, which stays empty
    assert cli(capsys, "check", script, "--select", "BD2")[0] == 1
    assert cli(capsys, "check", script, "--select", "BD104")[0] == 0  # only a warning left


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_an_unknown_code_is_a_usage_error(option, capsys):
    code, out, err = cli(capsys, "check", str(BUNDLED / "clean.py"), option, "BD104,BD999")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"beam-deps: error: {option} BD999: no diagnostic code starts with 'BD999'; "
        "`beam-deps explain --list` lists them"
    ]


def test_inline_ignore_comments(tmp_path):
    script = tmp_path / "ignored.py"
    script.write_text(
        textwrap.dedent(
            """
            import threading
            import apache_beam as beam
            lock = threading.Lock()
            COUNTS = []
            with beam.Pipeline() as p:
                nums = p | beam.Create([1])
                nums | "A" >> beam.Map(lambda x: (lock.locked(), x))  # beam-deps: ignore[BD104]
                nums | "B" >> beam.Map(lambda x: (lock.locked(), x))
                nums | "C" >> beam.Map(lambda x: COUNTS.append(x))  # beam-deps: ignore
            """
        )
    )
    report = check_script(script)
    assert [(d.code, d.transform) for d in report.diagnostics] == [("BD104", "B")]


def test_one_function_in_several_transforms_is_reported_once_naming_all(tmp_path, capsys):
    script = tmp_path / "shared.py"
    script.write_text(
        textwrap.dedent(
            """
            import apache_beam as beam
            SEEN = []
            def record(x):
                SEEN.append(x)
                return x
            with beam.Pipeline() as p:
                nums = p | beam.Create([1])
                nums | "First" >> beam.Map(record)
                nums | "Second" >> beam.Map(record)
                nums | "Third" >> beam.Map(record)
            """
        )
    )
    _, out, _ = cli(capsys, "check", str(script), "--select", "BD205")
    assert out.count("BD205 [warning]") == 1
    assert "\n    transform: First (applied at " in out
    assert "\n    also in:   Second, Third\n" in out


def test_a_missing_input_is_reported_and_the_rest_is_still_checked(tmp_path):
    script = tmp_path / "reads.py"
    missing = tmp_path / "nowhere" / "in-*.txt"
    script.write_text(
        textwrap.dedent(
            f"""
            import threading
            import apache_beam as beam
            lock = threading.Lock()
            with beam.Pipeline() as p:
                lines = p | "Read" >> beam.io.ReadFromText({str(missing)!r})
                lines | "Locked" >> beam.Map(lambda x: (lock.locked(), x))
            """
        )
    )
    report = check_script(script)
    by_code = {d.code: d for d in report.diagnostics}
    assert set(by_code) == {"BD002", "BD104"}
    read = by_code["BD002"]
    assert (read.transform, read.line) == ("Read", 6)
    assert str(missing) in read.message and "validate=False" in read.fix
    assert by_code["BD104"].transform == "Locked"


@pytest.mark.skipif(not HAS_DILL, reason="dill runs in the tox 'dill' env")
def test_dill_payloads_need_dill_on_the_worker_said_once(tmp_path):
    import importlib.metadata

    script = tmp_path / "doubles.py"
    script.write_text(
        "import sys\nimport apache_beam as beam\n"
        "from apache_beam.options.pipeline_options import PipelineOptions\n"
        "with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:\n"
        "    p | beam.Create([1]) | beam.Map(lambda x: 2 * x)\n"
    )
    beam_only = tmp_path / "image-without-dill.txt"
    beam_only.write_text(f"apache-beam=={importlib.metadata.version('apache-beam')}\n")
    with_dill = tmp_path / "image-with-dill.txt"
    with_dill.write_text(beam_only.read_text() + "dill==0.3.1.1\n")
    argv = ["--pickle_library=dill"]
    default = check_script(script, argv=argv)
    assert default.ok, default.diagnostics  # Beam's images ship apache-beam[dill]
    assert check_script(script, argv=argv, worker_requirements=with_dill).ok
    missing = check_script(script, argv=argv, worker_requirements=beam_only)
    assert [(d.code, d.path) for d in missing.diagnostics] == [("BD408", None)]
    assert "No module named 'dill'" in missing.diagnostics[0].message


def test_a_transform_that_fails_to_apply_is_reported_once(tmp_path):
    script = tmp_path / "mistyped.py"
    script.write_text(
        textwrap.dedent(
            """
            import apache_beam as beam
            with beam.Pipeline() as p:
                pairs = p | "Pairs" >> beam.Create([("a", 1)])
                words = p | "Words" >> beam.Create(["x"])
                (pairs, words) | beam.Flatten() | "Group" >> beam.GroupByKey()
            """
        )
    )
    report = check_script(script)
    assert [(d.code, d.transform, d.line) for d in report.diagnostics] == [("BD002", "Group", 6)]
    assert "Input type hint violation at Group" in report.diagnostics[0].message


def test_a_script_exiting_after_run_keeps_the_findings(tmp_path):
    """sys.exit("wrong output") after run() is the script judging the job's output (which
    check does not make): BD004, not "check the pipeline arguments", and the findings stay."""
    script = tmp_path / "exits_after_run.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, threading
            import apache_beam as beam
            lock = threading.Lock()
            with beam.Pipeline() as p:
                p | beam.Create([1]) | beam.Map(lambda x: (lock.locked(), x))
            sys.exit("the output is wrong")
            """
        )
    )
    report = check_script(script)
    assert [(d.code, d.line) for d in report.diagnostics] == [("BD104", 6), ("BD004", 7)]
    assert "the output is wrong" in report.diagnostics[1].message


def test_a_script_stopping_after_run_is_said_and_can_skip_reading_results(tmp_path):
    script = tmp_path / "after_run.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, threading
            import apache_beam as beam
            lock = threading.Lock()
            p = beam.Pipeline()
            p | beam.Create([1]) | "A" >> beam.Map(lambda x: x)
            p.run().wait_until_finish()
            if not os.environ.get("BEAM_DEPS_CHECK"):
                open("/nonexistent/first-output.txt").read()
            with beam.Pipeline() as p2:
                p2 | beam.Create([1]) | "B" >> beam.Map(lambda x: (lock.locked(), x))
            open("/nonexistent/second-output.txt").read()
            """
        )
    )
    report = check_script(script)
    assert [(d.code, d.line) for d in report.diagnostics] == [("BD104", 11), ("BD004", 12)]
    stopped = report.diagnostics[1]
    assert stopped.severity.value == "warning" and "second-output.txt" in stopped.message
    assert "BEAM_DEPS_CHECK" not in __import__("os").environ


def test_an_unknown_runner_is_an_error_and_the_pipeline_is_still_checked(tmp_path):
    script = tmp_path / "runner.py"
    script.write_text(
        "import sys, threading\nimport apache_beam as beam\n"
        "from apache_beam.options.pipeline_options import PipelineOptions\n"
        "lock = threading.Lock()\n"
        "with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:\n"
        "    p | beam.Create([1]) | 'Locked' >> beam.Map(lambda x: (lock.locked(), x))\n"
    )
    report = check_script(script, argv=["--runner=NoSuchRunner"])
    found = sorted((d.code, d.severity.value, d.line) for d in report.diagnostics)
    assert found == [("BD002", "error", 5), ("BD104", "warning", 6)]
    assert "Unexpected pipeline runner: NoSuchRunner" in report.errors[0].message


_OPTIONS_SCRIPT = """\
import sys
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class MyOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--{flag}", default="demo")


options = MyOptions(sys.argv[1:])
with beam.Pipeline(options=options) as p:
    p | beam.Create(["a"]) | beam.Map(print)
"""


def test_an_option_beam_already_defines_fails_the_submission(tmp_path):
    """python-docs-samples' write_pubsub.py adds --project, which GoogleCloudOptions
    defines: the real submission fails with argparse's conflict, and check says where."""
    script = tmp_path / "options.py"
    script.write_text(_OPTIONS_SCRIPT.format(flag="project"))
    real = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert real.returncode != 0
    assert "conflicting option string: --project" in real.stderr
    report = check_script(script, argv=[])
    assert [(d.code, d.line) for d in report.errors] == [("BD002", 9)]
    assert "conflicting option string: --project" in report.errors[0].message
    assert "view_as(GoogleCloudOptions)" in report.errors[0].fix

    script.write_text(_OPTIONS_SCRIPT.format(flag="topic_project"))  # the fix: its own name
    real = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert real.returncode == 0, real.stderr
    assert check_script(script, argv=[]).errors == []


def test_option_validation_errors_are_listed_in_full(tmp_path, capsys):
    script = tmp_path / "dataflow.py"
    script.write_text(
        "import sys\nimport apache_beam as beam\n"
        "from apache_beam.options.pipeline_options import PipelineOptions\n"
        "with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:\n"
        "    p | beam.Create([1])\n"
    )
    code, _, err = cli(
        capsys,
        "check",
        str(script),
        "--",
        "--runner=DataflowRunner",
        "--project=p",
        "--region=us-central1",
        "--temp_location=gs://b/t",
    )
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "Pipeline has validations errors: Invalid GCS bucket (gs://b/t)" in err
    assert "Missing GCS path option: staging_location" in err


def test_save_main_session_turned_on_by_beam_for_dataflow_is_only_a_note(tmp_path):
    script = tmp_path / "on_dataflow.py"
    script.write_text(
        "import sys\nimport apache_beam as beam\n"
        "from apache_beam.options.pipeline_options import PipelineOptions\n"
        "with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:\n"
        "    p | beam.Create([1]) | beam.Map(lambda x: x)\n"
    )
    dataflow = [
        "--runner=DataflowRunner",
        "--project=my-proj-123",
        "--region=us-central1",
        "--temp_location=gs://my-bucket-123/tmp",
    ]
    by_beam = check_script(script, argv=dataflow)
    # Nothing here relies on the main session: BD203 only where it changes something
    # (issue 14; tests/test_accuracy_dill.py shows where it does). A Beam newer than the
    # shipped image lists gets its one BD415 note (the nearest list is used), nothing else.
    expected = [] if _installed_image_known() else [("BD415", "info")]
    assert [(d.code, d.severity.value) for d in by_beam.diagnostics] == expected
    asked = check_script(script, argv=[*dataflow, "--save_main_session"])
    assert [(d.code, d.severity.value) for d in asked.diagnostics] == expected


def _installed_image_known() -> bool:
    """Does beam-deps ship the package list of the installed Beam's SDK image?"""
    import apache_beam

    from beam_deps.environment import images

    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    return (apache_beam.__version__, here) in images.known()


def test_a_custom_worker_image_is_said_to_be_uncompared():
    clean = BUNDLED / "clean.py"
    custom = check_script(clean, worker_image="gcr.io/myproj/beam-custom:latest")
    assert [(d.code, d.severity.value) for d in custom.diagnostics] == [("BD415", "info")]
    assert "not a Beam SDK image name" in custom.diagnostics[0].message
    import apache_beam

    from beam_deps.environment import images

    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    own = images.default_image(apache_beam.__version__, here)  # the installed Beam's image
    found = [(d.code, d.severity.value) for d in check_script(clean, worker_image=own).diagnostics]
    assert found == ([] if _installed_image_known() else [("BD415", "info")])


def test_a_large_create_is_said_once_for_its_largest_payload(tmp_path):
    script = tmp_path / "big.py"
    script.write_text(
        "import os\nimport apache_beam as beam\n"
        "with beam.Pipeline() as p:\n"
        "    p | beam.Create([os.urandom(16).hex() for _ in range(80_000)])\n"
    )
    report = check_script(script)
    large = [d for d in report.diagnostics if d.code == "BD109"]
    assert len(large) == 1 and large[0].transform == "Create"
    assert large[0].extra["size"] > 1_000_000


def test_code_from_a_folder_the_script_puts_on_sys_path_is_local_code(tmp_path):
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "__init__.py").write_text("")
    (tmp_path / "common" / "text.py").write_text("def shout(s):\n    return s.upper()\n")
    (tmp_path / "pipelines").mkdir()
    script = tmp_path / "pipelines" / "job.py"
    script.write_text(
        "import os, sys\n"
        "sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))\n"
        "import apache_beam as beam\nfrom common.text import shout\n"
        "with beam.Pipeline() as p:\n"
        "    p | beam.Create(['a']) | beam.Map(shout)\n"
    )
    report = check_script(script)
    assert [(d.code, d.line) for d in report.diagnostics] == [("BD402", 6)]
    assert f"found in {tmp_path}" in report.diagnostics[0].message
    assert str(tmp_path) not in sys.path


def test_the_scripts_own_output_argument_is_no_beam_option(tmp_path):
    """Beam 2.61's option parser takes a prefix: ``--output x`` would read as Beam's
    ``--output_executable_path`` there, which the script's options never hold (m19p: a
    false BD003 on 16 of 25 public pipelines, under the beam261 env)."""
    script = tmp_path / "own_output.py"
    script.write_text(
        "import argparse\nimport apache_beam as beam\n"
        "from apache_beam.options.pipeline_options import PipelineOptions\n"
        "parser = argparse.ArgumentParser()\nparser.add_argument('--output')\n"
        "known, rest = parser.parse_known_args()\n"
        "with beam.Pipeline(options=PipelineOptions(rest)) as p:\n"
        "    p | beam.Create([1])\n"
    )
    report = check_script(script, argv=["--output", str(tmp_path / "out")])
    assert not report.diagnostics


def test_beam_options_the_pipeline_never_reads_are_said(tmp_path):
    script = tmp_path / "no_options.py"
    script.write_text(
        "import apache_beam as beam\nwith beam.Pipeline() as p:\n    p | beam.Create([1])\n"
    )
    report = check_script(script, argv=["--runner=DirectRunner", "--extra_package=/x.whl"])
    assert [(d.code, d.line) for d in report.diagnostics] == [("BD003", 2)]
    assert "--runner, --extra_packages" in report.diagnostics[0].message
    # a value Beam's option parser cannot convert: not ours to report, nor to crash on
    assert not check_script(script, argv=["--num_workers=abc"]).diagnostics
    reads = tmp_path / "reads_argv.py"
    reads.write_text(
        "import argparse, sys\nimport apache_beam as beam\n"
        "parser = argparse.ArgumentParser()\nparser.add_argument('--output')\n"
        "known, rest = parser.parse_known_args(sys.argv[1:])\n"
        "with beam.Pipeline(argv=rest) as p:\n"
        "    p | beam.Create([1])\n"
    )
    assert not check_script(reads, argv=["--output", "o", "--runner=DirectRunner"]).diagnostics


def test_a_clean_check_prints_nothing_on_stderr():
    """Beam's own import-time warnings ("apitools not found") are not ours to show."""
    proc = subprocess.run(
        [sys.executable, "-m", "beam_deps.cli", "check", str(BUNDLED / "clean.py")],
        capture_output=True,
        text=True,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "No problems found.\n", "")


def test_pipeline_arguments_after_double_dash(capsys, tmp_path):
    out = tmp_path / "counts"
    code, text, _ = cli(
        capsys,
        "check",
        str(EXAMPLES / "beam" / "wordcount.py"),
        "--select",
        "BD1,BD4",
        "--",
        "--input",
        str(EXAMPLES / "beam" / "README.md"),
        "--output",
        str(out),
    )
    assert code == 0 and "No problems found." in text
    assert not out.parent.joinpath("counts-00000-of-00001").exists()  # nothing ran


def test_module_mode(capsys, tmp_path, monkeypatch):
    package = tmp_path / "jobs"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "job.py").write_text(
        "import threading\nimport apache_beam as beam\nL = threading.Lock()\n"
        "with beam.Pipeline() as p:\n"
        "    p | beam.Create([1]) | beam.Map(lambda x: (L.locked(), x))\n"
    )
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "check", "-m", "jobs.job", "--format", "json")
    assert code == 0
    assert [d["code"] for d in json.loads(out)["diagnostics"]] == ["BD104"]


def test_version_skew_against_the_declared_worker(capsys, tmp_path):
    script = str(BUNDLED / "clean.py")
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    other = "3.9" if here != "3.9" else "3.10"
    _, out, _ = cli(capsys, "check", script, "--worker-python", other, "--format", "json")
    assert [d["code"] for d in json.loads(out)["diagnostics"]] == ["BD405"]
    image = f"apache/beam_python{here}_sdk:2.60.0"
    code, out, _ = cli(capsys, "check", script, "--worker-image", image, "--format", "json")
    # 2.60 has no package list (older than any supported Beam): said once, nearest list used
    assert code == 1 and [d["code"] for d in json.loads(out)["diagnostics"]] == ["BD406", "BD415"]
    freeze = tmp_path / "image.txt"
    import apache_beam

    freeze.write_text(f"apache-beam=={apache_beam.__version__}\n")
    code, _, _ = cli(capsys, "check", script, "--worker-requirements", str(freeze))
    assert code == 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["{bad}/missing.py"], "no such script"),
        (["{bad}/syntax_error.py"], "syntax error in the script"),
        (["{bad}/raises.py"], "raised ValueError: the config file is missing"),
        (["{bad}/no_pipeline.py"], "without building a Beam pipeline"),
        (["{bad}/exits.py"], "called sys.exit(3)"),
        (["{bad}/hangs.py", "--timeout", "2"], "did not finish within 2s"),
        ([str(BUNDLED / "clean.py"), "--worker-python", "three"], "--worker-python must"),
        ([str(BUNDLED / "clean.py"), "--worker-requirements", "nope.txt"], "no such file"),
    ],
    ids=["missing", "syntax", "raises", "no-pipeline", "sys-exit", "hangs", "bad-py", "no-req"],
)
def test_bad_input_exits_2_with_one_line_in_every_format(argv, message, capsys, bad_dir):
    argv = [a.replace("{bad}", str(bad_dir)) for a in argv]
    for fmt in ("text", "json"):
        code, out, err = cli(capsys, "check", *argv, "--format", fmt)
        assert code == 2
        if fmt == "text":
            assert out == ""
        else:  # still one valid document, saying the check did not run and why
            doc = json.loads(out)
            assert doc["summary"]["ok"] is False and message in doc["error"]
        lines = [line for line in err.splitlines() if line.startswith("beam-deps: error:")]
        assert len(lines) == 1 and message in lines[0], err
        assert "Traceback" not in err


def test_the_real_command_prints_no_traceback(bad_dir):
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "beam_deps.cli", "check", str(bad_dir / name)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("raises.py", "syntax_error.py")
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2 and out == ""
        assert err.strip().splitlines()[-1].startswith("beam-deps: error:")
        assert "Traceback" not in err


def test_debug_shows_the_real_error(bad_dir):
    from beam_deps.pipeline import ScriptError

    with pytest.raises(ScriptError) as info:
        main(["check", str(bad_dir / "raises.py"), "--debug"])
    assert isinstance(info.value.__cause__, ValueError)


def test_a_check_leaves_nothing_in_the_temp_directory(tmp_path):
    """Neither the simulated worker's folder nor Beam's own ``beam-pipeline-temp*`` (which
    Beam's run() would remove, and check replaces run()) outlives a check."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    proc = subprocess.run(
        [sys.executable, "-m", "beam_deps.cli", "check", str(BUNDLED / "pitfalls.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert sorted(p.name for p in temp.iterdir()) == []


def test_a_script_python_cannot_decode_is_refused_as_python_refuses_it(tmp_path, capsys):
    source = b"import apache_beam as beam\n# caf\xe9\np = beam.Pipeline()\np | beam.Create([1])\n"
    script = tmp_path / "latin.py"
    script.write_bytes(source)
    python = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert python.returncode != 0 and "Non-UTF-8 code" in python.stderr
    code, out, err = cli(capsys, "check", str(script))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Non-UTF-8 code" in err and "no encoding declared" in err
    assert "Traceback" not in err
    # with the coding line Python asks for, the same bytes are a script like any other
    script.write_bytes(b"# -*- coding: latin-1 -*-\n" + source)
    code, out, _ = cli(capsys, "check", str(script))
    assert code == 0 and "No problems found" in out


FAULTS = {
    "exits_0.py": "import os\nimport apache_beam as beam\n\nos._exit(0)\n",
    "thread.py": (
        "import threading, time\nimport apache_beam as beam\n\n"
        "threading.Thread(target=lambda: time.sleep(3600)).start()\n"
        "with beam.Pipeline() as p:\n    p | beam.Create([1]) | beam.Map(str)\n"
    ),
    "forks.py": (
        "import os, subprocess, sys\nimport apache_beam as beam\n\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3600)'])\n"
        "open(os.environ['PID_FILE'], 'w').write(str(child.pid))\n"
        "with beam.Pipeline() as p:\n    p | beam.Create([1]) | beam.Map(str)\n"
    ),
    "stubborn.py": (
        "import time\nimport apache_beam as beam\n\nwhile True:\n    try:\n"
        "        time.sleep(3600)\n    except:  # noqa: E722 - eats the alarm of --timeout\n"
        "        pass\n"
    ),
}


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not hasattr(os, "fork"), reason="process groups are POSIX")
def test_check_always_ends_and_never_passes_without_checking(tmp_path):
    """The script runs in a child process group the CLI ends: os._exit(0) is not a pass, a
    non-daemon thread or a forked process does not outlive the report, and a loop eating
    --timeout's alarm is still stopped."""
    import time

    for name, text in FAULTS.items():
        (tmp_path / name).write_text(text)
    env = {**os.environ, "PID_FILE": str(tmp_path / "pid")}

    def check(name, *more):
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "beam_deps.cli", "check", str(tmp_path / name), *more],
            capture_output=True, text=True, env=env, timeout=240,
        )  # fmt: skip
        return proc, time.monotonic() - start

    proc, _ = check("exits_0.py")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "nothing was checked" in proc.stderr
    proc, took = check("thread.py")
    assert proc.returncode == 0 and "No problems found" in proc.stdout and took < 120
    proc, _ = check("forks.py")
    assert proc.returncode == 0 and "No problems found" in proc.stdout
    pid = int((tmp_path / "pid").read_text())
    deadline = time.monotonic() + 10
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(pid)
    proc, took = check("stubborn.py", "--timeout", "1")
    assert proc.returncode == 2 and proc.stdout == "" and "did not finish within 1s" in proc.stderr
    assert "Traceback" not in proc.stderr and took < 120


def test_a_bug_of_ours_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    """A detector that crashes (here made to) is beam-deps' bug: one line that says so,
    exit 2, a JSON document that still parses; the child's traceback only with --debug."""
    import beam_deps.check.script as script_module
    from beam_deps.cli import main as cli_main

    def broken(pipeline):
        raise KeyError("boom")

    monkeypatch.setattr(script_module, "grouping_key_diagnostics", broken)
    script = tmp_path / "pipe.py"
    script.write_text(
        "import apache_beam as beam\n"
        "with beam.Pipeline() as p:\n"
        "    p | beam.Create([1]) | beam.Map(str)\n"
    )
    assert cli_main(["check", str(script), "--format", "json"]) == 2
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.startswith("beam-deps")]
    assert len(lines) == 1 and "internal error" in lines[0] and "KeyError: 'boom'" in lines[0]
    assert "Traceback" not in captured.err
    document = json.loads(captured.out)
    assert "internal error" in json.dumps(document)

    with pytest.raises(KeyError, match="boom"):  # --debug: the real traceback
        cli_main(["check", str(script), "--debug"])
