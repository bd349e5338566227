"""The script loader: runs a pipeline script as `python SCRIPT.py` would, submits nothing."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from beam_deps.pipeline import ScriptError, load_script

EXAMPLES = Path(__file__).parent / "examples"


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def test_collects_pipelines_built_every_way_and_runs_none():
    loaded = load_script(EXAMPLES / "several_pipelines.py")
    labels = [
        sorted(part.full_label for part in c.pipeline._root_transform().parts)
        for c in loaded.pipelines
    ]
    assert labels == [["AddFirst", "First"], ["AddSecond", "Second"], ["AddThird", "Third"]]
    assert all(c.ran for c in loaded.pipelines)  # the never-run one is analysed at the end
    # Nothing was processed: the lists the DoFns append to are still empty.
    assert loaded.main_globals["FIRST"] == [] and loaded.main_globals["SECOND"] == []


def test_on_pipeline_runs_at_run_time_with_the_script_as_main(tmp_path):
    script = write(
        tmp_path,
        "p.py",
        """
        import sys
        import apache_beam as beam
        STATE = "before"
        with beam.Pipeline() as p:
            p | beam.Create([1])
        STATE = "after"
        """,
    )
    seen = []

    def on_pipeline(captured, loaded):
        main = sys.modules["__main__"]
        seen.append((main.__file__, main.STATE, captured.pickle_library))
        return "result"

    loaded = load_script(script, on_pipeline=on_pipeline)
    assert seen == [(str(script), "before", "cloudpickle")]
    assert loaded.pipelines[0].result == "result"
    assert sys.modules["__main__"].__dict__.get("STATE") is None  # restored


def test_argv_path_and_state_are_set_then_restored(tmp_path):
    (tmp_path / "neighbour.py").write_text("VALUE = 42\n")
    script = write(
        tmp_path,
        "p.py",
        """
        import sys
        import apache_beam as beam
        import neighbour
        ARGV = list(sys.argv)
        with beam.Pipeline(argv=sys.argv[1:]) as p:
            p | beam.Create([neighbour.VALUE])
        """,
    )
    argv, path, main = list(sys.argv), list(sys.path), sys.modules["__main__"]
    loaded = load_script(script, argv=["--pickle_library=cloudpickle", "--x=1"])
    assert loaded.main_globals["ARGV"] == [str(script), "--pickle_library=cloudpickle", "--x=1"]
    assert "neighbour" in loaded.modules_imported
    assert "neighbour" not in sys.modules  # the script's own modules are dropped again
    assert (sys.argv, sys.path, sys.modules["__main__"]) == (argv, path, main)


def test_pickling_failures_are_collected_and_construction_goes_on():
    loaded = load_script(EXAMPLES / "pitfall_unpicklable.py")
    failures = {f.label: f for f in loaded.construction_failures}
    assert set(failures) == {"Enrich", "ReadRows", "SaveRows/WriteImpl"}
    assert all(f.kind == "pickle" for f in failures.values())
    assert "sqlite3.Connection" in failures["Enrich"].message
    source = (EXAMPLES / "pitfall_unpicklable.py").read_text().splitlines()
    assert "Enrich(" in source[failures["Enrich"].line - 1]
    assert "ReadRows" in source[failures["ReadRows"].line - 1]
    # ...and every transform after the failing ones was still built.
    labels = {p.full_label for p in loaded.pipelines[0].pipeline._root_transform().parts}
    assert {"Enrich", "Guarded", "ReadRows"} <= labels


def test_transform_lines_point_at_the_transform_not_the_chain_start(tmp_path):
    script = write(
        tmp_path,
        "chain.py",
        """
        import apache_beam as beam
        with beam.Pipeline() as p:
            (
                p
                | "One" >> beam.Create([1])
                | "Two" >> beam.Map(
                    lambda x: x
                )
            )
        """,
    )
    loaded = load_script(script)
    lines = {
        part.full_label: part._beam_deps_location[1]
        for part in loaded.pipelines[0].pipeline._root_transform().parts
    }
    assert lines == {"One": 6, "Two": 7}


def test_a_transform_that_raises_when_applied_is_recorded(tmp_path):
    script = write(
        tmp_path,
        "bad_apply.py",
        """
        import apache_beam as beam
        with beam.Pipeline() as p:
            nums = p | "Nums" >> beam.Create([1])
            nums | "Broken" >> beam.GroupByKey()
            nums | "Never" >> beam.Map(str)
        """,
    )
    loaded = load_script(script)
    (failure,) = loaded.construction_failures
    assert failure.kind == "apply" and failure.label == "Broken" and failure.line == 5
    labels = {p.full_label for p in loaded.pipelines[0].pipeline._root_transform().parts}
    assert "Nums" in labels and "Never" not in labels


def test_module_mode_runs_as_main(tmp_path, monkeypatch):
    package = tmp_path / "mypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "job.py").write_text(
        "import apache_beam as beam\n"
        "from . import helpers\n"
        "if __name__ == '__main__':\n"
        "    with beam.Pipeline() as p:\n"
        "        p | beam.Create([helpers.X])\n"
    )
    (package / "helpers.py").write_text("X = 1\n")
    monkeypatch.chdir(tmp_path)
    loaded = load_script(module="mypkg.job")
    assert loaded.module == "mypkg.job" and len(loaded.pipelines) == 1


@pytest.mark.parametrize(
    "script, message",
    [
        ("missing.py", "no such script"),
        ("syntax_error.py", "syntax error in the script"),
        ("raises.py", "raised ValueError: the config file is missing"),
        ("no_pipeline.py", "finished without building a Beam pipeline"),
        ("exits.py", "called sys.exit(3) before building a pipeline"),
    ],
)
def test_bad_scripts_raise_one_clear_line(script, message, bad_dir):
    with pytest.raises(ScriptError) as info:
        load_script(bad_dir / script)
    text = str(info.value)
    assert message in text and "\n" not in text


def test_a_hanging_script_times_out(bad_dir):
    with pytest.raises(ScriptError, match="did not finish within 1s"):
        load_script(bad_dir / "hangs.py", timeout=1)


def test_unknown_module():
    with pytest.raises(ScriptError, match="cannot run -m no_such_pkg_xyz"):
        load_script(module="no_such_pkg_xyz")


def test_loading_writes_nothing_into_the_users_tree(tmp_path):
    (tmp_path / "helpers.py").write_text("def double(x):\n    return 2 * x\n")
    script = tmp_path / "pipeline.py"
    script.write_text(
        textwrap.dedent(
            """
            import apache_beam as beam
            import helpers

            with beam.Pipeline() as p:
                p | beam.Create([1]) | beam.Map(helpers.double)
            """
        )
    )
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    flag = sys.dont_write_bytecode
    sys.dont_write_bytecode = False  # as in a plain interpreter
    try:
        loaded = load_script(script)
        assert sys.dont_write_bytecode is False, "restored afterwards"
    finally:
        sys.dont_write_bytecode = flag
    assert len(loaded.pipelines) == 1
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_options_read_after_loading_are_the_scripts(tmp_path, monkeypatch, caplog):
    """PipelineOptions() re-parses sys.argv on every read: after loading it must still see
    the script's arguments, not beam-deps' own."""
    script = tmp_path / "pipeline.py"
    script.write_text(
        textwrap.dedent(
            """
            import apache_beam as beam
            from apache_beam.options.pipeline_options import PipelineOptions

            with beam.Pipeline(options=PipelineOptions()) as p:
                p | beam.Create([1])
            """
        )
    )
    monkeypatch.setattr(sys, "argv", ["beam-deps", "check", str(script), "--unrelated"])
    loaded = load_script(script, argv=["--sdk_container_image=apache/beam_python3.11_sdk:2.77.0"])
    caplog.clear()
    options = loaded.pipelines[0].options.get_all_options()
    assert options["sdk_container_image"] == "apache/beam_python3.11_sdk:2.77.0"
    assert "Discarding unparseable args" not in caplog.text  # it did not parse our argv
