"""`stage()` end to end on real projects: what ships, what never ships, reproducibility, the
cache, atomicity, declarations and bad input (API and CLI)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from staging_support import FIXTURES, add_secrets, cache_dir, copy_fixture, tree  # noqa: F401

from beam_deps.errors import UsageError
from beam_deps.staging import StagingError, manifest, stage

SECRETS = (b"not-a-real-token-but-must-not-ship", b"PRIVATE KEY", b"hunter2")


def artifact_bytes(out: Path) -> bytes:
    """Every byte that ships, with wheels and sdists opened up."""
    blob = b""
    for path in out.rglob("*"):
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as zf:
                blob += b"".join(zf.read(n) for n in zf.namelist())
        elif path.is_file():
            blob += path.read_bytes()
    return blob


@pytest.fixture(scope="module")
def loose(tmp_path_factory):
    root = tmp_path_factory.mktemp("loose")
    project = copy_fixture("loose", root)
    before = tree(project)
    staging = stage(project / "pipeline.py", out=root / "out")
    return project, before, staging


def test_loose_project_stages_requirements_wheel_and_manifest(loose):
    import importlib.metadata as md

    project, before, staging = loose
    assert staging.written and staging.ok and not staging.cached
    assert staging.requirements == [f"iniconfig=={md.version('iniconfig')}"]
    assert (staging.out / "requirements.txt").read_text() == "\n".join(staging.requirements) + "\n"
    roles = {a.role: a.path for a in staging.artifacts}
    assert roles["requirements"] == "requirements.txt"
    wheel = staging.out / roles["local_wheel"]
    assert wheel.name.startswith("loose_local-0.0.0+") and wheel.suffix == ".whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert {"mylib/__init__.py", "mylib/util.py", "mylib/greeting.txt"} <= names
    assert not {"mylib/server.pem", "mylib/local_settings.py", ".env", "pipeline.py"} & names
    data = manifest.read(staging.out)
    assert data["environment_key"] == staging.environment_key
    assert data["pickle_library"] == "cloudpickle"
    assert data["apache_beam"] == md.version("apache-beam")  # the Beam installed here
    assert manifest.verify(staging.out) == []
    assert staging.pipeline_args == [
        f"--requirements_file={staging.out}/requirements.txt",
        "--requirements_cache=skip",
        f"--extra_package={wheel}",
        f"--files_to_stage={staging.out}/beam_deps_manifest.json",
    ]
    assert tree(project) == before, "staging wrote into the user's project"


def test_nothing_secret_ships_and_exclusions_are_explained(loose):
    _, _, staging = loose
    blob = artifact_bytes(staging.out)
    for secret in SECRETS:
        assert secret not in blob
    excluded = dict(staging.excluded)
    assert "secrets" in excluded[".env"]
    assert "*.pem" in excluded["mylib/server.pem"]
    assert excluded["mylib/local_settings.py"] == "ignored by .gitignore: local_settings.py"
    assert excluded["notes.txt"] == "not imported by the pipeline"
    assert staging.shipped == ["mylib/__init__.py", "mylib/greeting.txt", "mylib/util.py"]


def test_staging_twice_is_byte_identical(loose, tmp_path):
    project, _, first = loose
    again = stage(project / "pipeline.py", out=tmp_path / "again", use_cache=False)
    assert not again.cached
    assert tree(again.out) == tree(first.out)


def test_warm_stage_reuses_and_a_change_invalidates(tmp_path):
    project = copy_fixture("loose", tmp_path)
    out = tmp_path / "out"
    cold = stage(project / "pipeline.py", out=out)
    warm = stage(project / "pipeline.py", out=out)
    assert warm.cached and warm.pipeline_args == cold.pipeline_args
    assert tree(out) == tree(cold.out)
    elsewhere = stage(project / "pipeline.py", out=tmp_path / "other")
    assert elsewhere.cached and tree(elsewhere.out) == tree(out)
    assert elsewhere.pipeline_args[0] == f"--requirements_file={tmp_path}/other/requirements.txt"
    # A data file inside the local package changes the wheel: the cache must notice.
    (project / "mylib" / "greeting.txt").write_text("changed\n")
    changed = stage(project / "pipeline.py", out=out)
    assert not changed.cached
    assert changed.environment_key != cold.environment_key
    # A staged file edited in place is detected: the entry is not reused.
    (out / "requirements.txt").write_text("tampered==1\n")
    again = stage(project / "pipeline.py", out=out)
    assert (out / "requirements.txt").read_text() != "tampered==1\n"
    assert manifest.verify(again.out) == []


def test_declarations_merge_and_conflicts_stop_staging(tmp_path):
    project = tmp_path / "decl"
    project.mkdir()
    (project / "pipeline.py").write_text(
        textwrap.dedent(
            """
            import apache_beam as beam
            from beam_deps.staging import requires, requires_base

            requires_base("pluggy")

            @requires("iniconfig>=1")
            class A(beam.DoFn):
                def process(self, x):
                    yield x

            @requires(*__import__("os").environ.get("EXTRA_REQ", "iniconfig").split())
            def b(x):
                return x

            with beam.Pipeline() as p:
                p | beam.Create([1]) | beam.ParDo(A()) | beam.Map(b)
            """
        )
    )
    import importlib.metadata as md

    ok = stage(project / "pipeline.py", out=tmp_path / "ok")
    assert ok.written
    assert f"iniconfig=={md.version('iniconfig')}" in ok.requirements
    assert f"pluggy=={md.version('pluggy')}" in ok.requirements
    assert not any("beam-deps" in r or "beam_deps" in r for r in ok.requirements)

    before = tree(ok.out)
    os.environ["EXTRA_REQ"] = "iniconfig<1"
    try:
        clash = stage(project / "pipeline.py", out=ok.out, use_cache=False)
    finally:
        del os.environ["EXTRA_REQ"]
    assert not clash.written and not clash.ok
    bd409 = [d for d in clash.diagnostics if d.code == "BD409"]
    assert bd409 and "__main__.A" in bd409[0].message and "__main__.b" in bd409[0].message
    assert tree(ok.out) == before, "a failed stage must leave the previous --out intact"


def test_module_without_metadata_is_reported(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "nometa_pkg").mkdir(parents=True)
    (site / "nometa_pkg" / "__init__.py").write_text("VALUE = 1\n")
    project = tmp_path / "p"
    project.mkdir()
    (project / "pipeline.py").write_text(
        "import apache_beam as beam\nimport nometa_pkg\n\n"
        "with beam.Pipeline() as p:\n"
        "    p | beam.Create([1]) | beam.Map(lambda x: x + nometa_pkg.VALUE)\n"
    )
    monkeypatch.syspath_prepend(str(site))
    staging = stage(project / "pipeline.py", out=tmp_path / "out")
    bd411 = [d for d in staging.diagnostics if d.code == "BD411"]
    assert len(bd411) == 1 and "nometa_pkg" in bd411[0].message
    # Imported at pipeline.py:2 and also seen while building: the import site wins.
    assert (bd411[0].file, bd411[0].line) == (str(project / "pipeline.py"), 2)
    assert staging.written  # a warning: the rest is still staged
    assert not any("nometa" in r for r in staging.requirements)


# ---------------------------------------------------------------------------- bad input
def test_missing_script():
    with pytest.raises(StagingError, match="no such script: nope.py"):
        stage("nope.py", out="unused")


def test_failing_script_leaves_previous_out_intact(loose, tmp_path):
    _, _, staging = loose
    out = tmp_path / "out"
    shutil.copytree(staging.out, out)
    before = tree(out)
    bad = tmp_path / "bad.py"
    bad.write_text("import apache_beam\nraise RuntimeError('boom at construction')\n")
    with pytest.raises(UsageError, match="boom at construction"):
        stage(bad, out=out)
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.py", "out"], "temp dirs left"


def test_unwritable_out_and_foreign_out(loose, tmp_path):
    project, _, _ = loose
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(StagingError, match="cannot write --out"):
        stage(project / "pipeline.py", out=blocker / "out")
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    with pytest.raises(StagingError, match="refusing to replace"):
        stage(project / "pipeline.py", out=foreign)
    assert (foreign / "thesis.tex").read_text() == "precious"


def test_failing_build_leaves_previous_out_intact(loose, tmp_path):
    _, _, staging = loose
    project = tmp_path / "broken"
    project.mkdir()
    (project / "setup.py").write_text("raise SystemExit('this project cannot be built')\n")
    (project / "pipeline.py").write_text(
        "import apache_beam as beam\nwith beam.Pipeline() as p:\n    p | beam.Create([1])\n"
    )
    out = tmp_path / "out"
    shutil.copytree(staging.out, out)
    before = tree(out)
    with pytest.raises(StagingError, match="PyPA build failed"):
        stage(project / "pipeline.py", out=out)
    assert tree(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


# ---------------------------------------------------------------------------- CLI
def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "beam_deps.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )


@pytest.fixture(scope="module")
def cli_project(tmp_path_factory):
    return copy_fixture("loose", tmp_path_factory.mktemp("cli"))


def test_cli_stage_json_package_list_and_requirements(cli_project):
    import importlib.metadata as md

    cwd = cli_project.parent
    proc = cli("stage", "loose/pipeline.py", "--out", "out", "--format", "json", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) >= {"pipeline_args", "artifacts", "requirements"}
    assert data["requirements"] == [f"iniconfig=={md.version('iniconfig')}"]
    assert f"--files_to_stage={cwd}/out/beam_deps_manifest.json" in data["pipeline_args"]
    # No --wheelhouse: the workers fetch the requirements from the index when they start.
    assert data["index_at_boot"] == data["requirements"]
    text = cli("stage", "loose/pipeline.py", "--out", "out", cwd=cwd)
    assert text.returncode == 0, text.stderr
    assert (
        "workers will install 1 requirement from the package index when they start; "
        "--wheelhouse ships the wheels so workers do not depend on the index"
    ) in text.stdout.splitlines()

    listing = cli("package", "list", "--verbose", "loose/pipeline.py", cwd=cwd)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[:3] == ["mylib/__init__.py", "mylib/greeting.txt", "mylib/util.py"]
    assert "excluded: .env (may hold secrets (.env*))" in lines
    assert any(line.startswith("excluded: mylib/server.pem") for line in lines)
    quiet = cli("package", "list", "loose/pipeline.py", cwd=cwd)
    assert not [line for line in quiet.stdout.splitlines() if line.startswith("excluded")]

    reqs = cli("requirements", "loose/pipeline.py", cwd=cwd)
    assert reqs.returncode == 0 and reqs.stdout == f"iniconfig=={md.version('iniconfig')}\n"


def test_cli_package_list_honours_gitignore_above_the_script(tmp_path):
    """The review's repro: the repository's top-level .gitignore hides jobs/local_settings.py
    (git check-ignore agrees), so it must not ship, and --verbose says which file hid it."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("local_settings.py\n")
    lib = tmp_path / "jobs" / "lib"
    lib.mkdir(parents=True)
    (lib / "__init__.py").write_text("def inc(x):\n    return x + 1\n")
    (lib / "local_settings.py").write_text('PASSWORD = "hunter2"\n')
    (lib.parent / "s.py").write_text(
        "import apache_beam as beam\nimport lib\n\n"
        "with beam.Pipeline() as p:\n"
        "    p | beam.Create([1]) | beam.Map(lib.inc)\n"
    )
    by_git = subprocess.run(
        ["git", "check-ignore", "jobs/lib/local_settings.py"], cwd=tmp_path, capture_output=True
    )
    assert by_git.returncode == 0
    listing = cli("package", "list", "--verbose", "jobs/s.py", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert "lib/__init__.py" in lines and "lib/local_settings.py" not in lines
    assert "excluded: lib/local_settings.py (ignored by ../.gitignore: local_settings.py)" in lines


def test_cli_bad_input_is_one_line_exit_2(cli_project, tmp_path):
    cwd = cli_project.parent
    missing = cli("stage", "missing.py", cwd=cwd)
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        "beam-deps: error: no such script: missing.py; check the path"
    ]
    blocker = tmp_path / "file"
    blocker.write_text("")
    unwritable = cli("stage", "loose/pipeline.py", "--out", str(blocker / "out"), cwd=cwd)
    assert unwritable.returncode == 2
    assert unwritable.stderr.startswith("beam-deps: error: cannot write --out")
    assert "Traceback" not in unwritable.stderr
    neither = cli("requirements", cwd=cwd)
    assert neither.returncode == 2 and "give either SCRIPT or -m MODULE" in neither.stderr


def test_cli_run_stages_checks_and_runs(cli_project, tmp_path):
    cwd = cli_project.parent
    marker = tmp_path / "ran.txt"
    script = cli_project / "run_me.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            import apache_beam as beam
            import mylib

            with beam.Pipeline(argv=sys.argv[1:]) as p:
                p | beam.Create(["x"]) | beam.Map(mylib.shout)
            args = [a for a in sys.argv[1:] if a.startswith("--")]
            open({str(marker)!r}, "w").write("\\n".join(args))
            """
        )
    )
    proc = cli("run", "loose/run_me.py", "--out", "out-run", "--", "--runner=DirectRunner", cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-2000:]
    passed = marker.read_text().splitlines()
    assert passed[0] == "--runner=DirectRunner"
    assert f"--extra_package={cwd}/out-run/wheels/" in "\n".join(passed)
    assert f"--files_to_stage={cwd}/out-run/beam_deps_manifest.json" in passed


def test_killed_stage_leaves_previous_out_intact(loose, tmp_path):
    """SIGKILL in the middle of building: no cleanup code runs, yet --out is untouched."""
    import signal
    import time

    _, _, staging = loose
    out = tmp_path / "out"
    shutil.copytree(staging.out, out)
    before = tree(out)
    marker = tmp_path / "building"
    project = tmp_path / "slow"
    project.mkdir()
    (project / "setup.py").write_text(
        f"import time\nopen({str(marker)!r}, 'w').close()\ntime.sleep(120)\n"
    )
    (project / "pipeline.py").write_text(
        "import apache_beam as beam\nwith beam.Pipeline() as p:\n    p | beam.Create([1])\n"
    )
    code = "import sys\nfrom beam_deps.staging import stage\nstage(sys.argv[1], out=sys.argv[2])\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(project / "pipeline.py"), str(out)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), "the build never started"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert tree(out) == before
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp-")]
    assert leftovers, "the killed stage should have left its (hidden) temporary siblings"
    (project / "setup.py").unlink()  # now a loose script: the next stage succeeds
    stage(project / "pipeline.py", out=out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp-")]


def test_module_mode_ships_the_package(tmp_path, monkeypatch):
    (tmp_path / "app" / "jobs").mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "jobs" / "__init__.py").write_text("")
    (tmp_path / "app" / "helpers.py").write_text("def inc(x):\n    return x + 1\n")
    (tmp_path / "app" / "jobs" / "count.py").write_text(
        "import apache_beam as beam\nfrom ..helpers import inc\n\n"
        "with beam.Pipeline() as p:\n    p | beam.Create([1]) | beam.Map(inc)\n"
    )
    monkeypatch.chdir(tmp_path)
    staging = stage(module="app.jobs.count", out=tmp_path / "out")
    assert staging.written
    assert staging.shipped == [
        "app/__init__.py",
        "app/helpers.py",
        "app/jobs/__init__.py",
        "app/jobs/count.py",
    ]
    assert staging.requirements == []
    assert not any(a.startswith("--requirements_file") for a in staging.pipeline_args)


def test_code_in_a_folder_the_script_puts_on_sys_path_ships(tmp_path):
    """A monorepo job doing ``sys.path.insert(0, "..")`` to reach shared code."""
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "__init__.py").write_text("")
    (tmp_path / "common" / "text.py").write_text("def shout(s):\n    return s.upper()\n")
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "job.py").write_text(
        "import os, sys\n"
        "sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))\n"
        "import apache_beam as beam\nfrom common.text import shout\n\n"
        "with beam.Pipeline() as p:\n    p | beam.Create(['a']) | beam.Map(shout)\n"
    )
    staging = stage(tmp_path / "pipelines" / "job.py", out=tmp_path / "out")
    assert staging.written and staging.requirements == []
    assert not [d for d in staging.diagnostics if d.code == "BD411"], staging.diagnostics
    (wheel,) = (tmp_path / "out").rglob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        assert {"common/__init__.py", "common/text.py"} <= set(zf.namelist())


def test_user_requirements_file_is_merged_not_lost(loose, tmp_path):
    import importlib.metadata as md

    project, _, _ = loose
    mine = tmp_path / "mine.txt"
    mine.write_text("# what I always ship\npluggy\n")
    staging = stage(
        project / "pipeline.py",
        out=tmp_path / "out",
        pipeline_args=[f"--requirements_file={mine}"],
    )
    assert staging.requirements == [
        f"iniconfig=={md.version('iniconfig')}",
        f"pluggy=={md.version('pluggy')}",
    ]
    mine.write_text("pluggy\nclick\n")  # the file's content is an input of the cache key
    again = stage(
        project / "pipeline.py", out=tmp_path / "out", pipeline_args=[f"--requirements_file={mine}"]
    )
    assert not again.cached and f"click=={md.version('click')}" in again.requirements


def test_stale_temp_of_a_killed_stage_is_removed(loose, tmp_path):
    project, _, _ = loose
    stale = tmp_path / ".out.tmp-999999999_abc"  # no such process
    stale.mkdir()
    (stale / "requirements.txt").write_text("half written\n")
    staging = stage(project / "pipeline.py", out=tmp_path / "out")
    assert staging.written and not stale.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
