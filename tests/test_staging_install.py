"""The staged artifacts do their job with real tools: they install into a fresh venv away
from the project, Beam's own stager accepts the printed options, PyPA build turns Beam's
juliaset example into a wheel, and an editable install is snapshotted."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from staging_support import (  # noqa: F401
    FIXTURES,
    add_secrets,
    cache_dir,
    copy_fixture,
    pypi_reachable,
    stage_with,
    tree,
)

from beam_deps.staging import manifest, stage

VENV_SITE = Path(__import__("sysconfig").get_paths()["purelib"])


def uv(*args: str, **kw) -> subprocess.CompletedProcess:
    exe = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if exe is None:
        pytest.skip("uv is not installed")
    return subprocess.run([exe, *args], capture_output=True, text=True, check=True, **kw)


@pytest.fixture(scope="module")
def loose_staged(tmp_path_factory):
    root = tmp_path_factory.mktemp("loose-wh")
    project = root / "loose"
    shutil.copytree(FIXTURES / "loose", project, ignore=shutil.ignore_patterns("__pycache__"))
    add_secrets(project)
    if not pypi_reachable():
        pytest.skip("the wheelhouse test downloads from PyPI, which is not reachable")
    progress = io.StringIO()
    staging = stage(project / "pipeline.py", out=root / "out", wheelhouse=True, progress=progress)
    return project, staging, progress.getvalue()


def test_artifacts_install_into_a_fresh_venv_and_the_code_imports(loose_staged, tmp_path):
    _, staging, progress = loose_staged
    assert "beam-deps: wheelhouse [1/1] iniconfig" in progress
    wheelhouse = [a for a in staging.artifacts if a.role == "wheelhouse"]
    assert [Path(a.path).name.split("-")[0] for a in wheelhouse] == ["iniconfig"]
    assert staging.index_at_boot == []  # every requirement has its wheel: no index at boot
    assert f"--files_to_stage={staging.out / wheelhouse[0].path}" in staging.pipeline_args
    venv = tmp_path / "worker"
    uv("venv", "--quiet", "--python", sys.executable, str(venv))
    python = venv / "bin" / "python"
    local = [str(staging.out / a.path) for a in staging.artifacts if a.role == "local_wheel"]
    uv(
        "pip", "install", "--python", str(python), "--offline", "--no-index",
        "--find-links", str(staging.out / "wheelhouse"),
        "-r", str(staging.out / "requirements.txt"), *local,
    )  # fmt: skip
    empty = tmp_path / "empty"
    empty.mkdir()
    probe = subprocess.run(
        [str(python), "-I", "-c",
         "import mylib, iniconfig; print(mylib.describe('x'), mylib.util.greeting())\n"
         "try:\n    import apache_beam\nexcept ImportError:\n    print('no beam')"],
        cwd=empty, capture_output=True, text=True,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split("\n")[:2] == ["x (iniconfig) hello from mylib", "no beam"]


def test_beam_stager_accepts_the_pipeline_args(loose_staged, tmp_path):
    """Beam's own stager (run by PortableRunner for LOOPBACK too) takes the options: the job
    runs, and the artifacts it would upload are the staged files under Beam's names."""
    project, staging, _ = loose_staged
    out_file = tmp_path / "result"
    script = project / "write_result.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            import apache_beam as beam
            import mylib

            with beam.Pipeline(argv=sys.argv[1:]) as p:
                (p | beam.Create(["a", "b"]) | beam.Map(mylib.shout)
                   | beam.combiners.ToList()
                   | beam.Map(lambda xs: open({str(out_file)!r}, "w").write(",".join(sorted(xs)))))
            """
        )
    )
    args = ["--runner=PortableRunner", "--job_endpoint=embed", "--environment_type=LOOPBACK"]
    proc = subprocess.run(
        [sys.executable, str(script), *args, *staging.pipeline_args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert out_file.read_text() == "A!,B!"

    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.portability.api import beam_runner_api_pb2
    from apache_beam.transforms.environments import python_sdk_dependencies

    options = PipelineOptions([*args, *staging.pipeline_args])
    artifacts = python_sdk_dependencies(options, tmp_dir=str(tmp_path))
    staged = {}
    for art in artifacts:
        role = beam_runner_api_pb2.ArtifactStagingToRolePayload.FromString(art.role_payload)
        path = beam_runner_api_pb2.ArtifactFilePayload.FromString(art.type_payload).path
        staged[role.staged_name] = path
    expected = {Path(a.path).name for a in staging.artifacts} | {"beam_deps_manifest.json"}
    assert expected <= set(staged), sorted(staged)
    assert "extra_packages.txt" in staged
    for a in staging.artifacts:
        assert Path(staged[Path(a.path).name]).read_bytes() == (staging.out / a.path).read_bytes()


def test_juliaset_example_stages_to_a_wheel(tmp_path):
    import apache_beam.examples.complete.juliaset as example

    project = tmp_path / "juliaset"
    shutil.copytree(
        Path(example.__file__).parent, project, ignore=shutil.ignore_patterns("__pycache__")
    )
    before = tree(project)
    args = ["--coordinate_output", str(tmp_path / "coords"), "--grid_size", "4"]
    staging = stage(project / "juliaset_main.py", out=tmp_path / "out", pipeline_args=args)
    assert staging.ok and staging.written
    wheels = [a for a in staging.artifacts if a.role == "local_wheel"]
    sdists = staging.sources  # kept in --out, not shipped: workers install the wheel
    assert [Path(a.path).name for a in wheels] == ["juliaset-0.0.1-py3-none-any.whl"]
    assert [Path(a.path).name for a in sdists] == ["juliaset-0.0.1.tar.gz"]
    with zipfile.ZipFile(staging.out / wheels[0].path) as zf:
        assert "juliaset/juliaset.py" in zf.namelist()
    assert f"--extra_package={staging.out / wheels[0].path}" in staging.pipeline_args
    assert not any("tar.gz" in a for a in staging.pipeline_args)
    assert manifest.read(staging.out)["sources"][0]["path"] == "sdist/juliaset-0.0.1.tar.gz"
    assert "juliaset/juliaset.py" in staging.shipped
    assert tree(project) == before, "the build wrote into the project (build/, egg-info)"
    again = stage(
        project / "juliaset_main.py", out=tmp_path / "again", pipeline_args=args, use_cache=False
    )
    assert tree(again.out) == tree(staging.out), "PyPA build output is not reproducible"


@pytest.fixture(scope="module")
def dev_venv(tmp_path_factory):
    """A developer venv that sees this environment's packages (via a .pth that adds its
    site-packages as a site dir) plus whatever a test installs into it."""
    root = tmp_path_factory.mktemp("devvenv")
    venv = root / "venv"
    uv("venv", "--quiet", "--python", sys.executable, str(venv))
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "zz_parent.pth").write_text(f"import site; site.addsitedir({str(VENV_SITE)!r})\n")
    return venv


def make_project(root: Path, name: str, body: str) -> Path:
    (root / name).mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "{name}"\nversion = "0.3.0"\n'
        f"[tool.setuptools]\npackages = ['{name}']\n"
    )
    (root / name / "__init__.py").write_text(body)
    return root


def test_pep610_installs_editable_local_dir_and_vcs(dev_venv, tmp_path):
    """editable -> wheel snapshot; local folder -> wheel snapshot; git -> name @ git+URL@commit."""
    edit = make_project(tmp_path / "edproj", "edpkg", "VERSION = 'edited-in-place'\n")
    (edit / ".env").write_text("EDPKG_SECRET=must-not-ship\n")
    localdir = make_project(tmp_path / "dirproj", "dirpkg", "NAME = 'dir'\n")
    repo = make_project(tmp_path / "gitproj", "gitpkg", "NAME = 'git'\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
    commit = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    python = dev_venv / "bin" / "python"
    uv(
        "pip", "install", "--quiet", "--python", str(python),
        "-e", str(edit), str(localdir), f"gitpkg @ git+file://{repo}@{commit}",
        "wheel",  # with it, snapshots build without isolation here (the fast, offline path)
    )  # fmt: skip
    before = tree(edit)
    app = tmp_path / "app"
    app.mkdir()
    (app / "pipeline.py").write_text(
        "import apache_beam as beam\nimport edpkg, dirpkg, gitpkg\n\n"
        "with beam.Pipeline() as p:\n"
        "    p | beam.Create([1]) | beam.Map(lambda x: (edpkg.VERSION, dirpkg.NAME, gitpkg.NAME))\n"
    )
    data = stage_with(python, app / "pipeline.py", tmp_path / "out")
    assert data["requirements"] == [f"gitpkg @ git+file://{repo}@{commit}"]
    bd404 = sorted(d["message"] for d in data["diagnostics"] if d["code"] == "BD404")
    assert len(bd404) == 2
    assert "dirpkg is a local-folder install" in bd404[0]
    assert "edpkg is an editable install" in bd404[1]
    wheels = sorted(a["path"] for a in data["artifacts"] if a["role"] == "local_wheel")
    assert wheels == [
        "wheels/dirpkg-0.3.0-py3-none-any.whl",
        "wheels/edpkg-0.3.0-py3-none-any.whl",
    ]
    with zipfile.ZipFile(tmp_path / "out" / wheels[1]) as zf:
        assert zf.read("edpkg/__init__.py") == b"VERSION = 'edited-in-place'\n"
        assert b"must-not-ship" not in b"".join(zf.read(n) for n in zf.namelist())
    assert manifest.verify(tmp_path / "out") == []
    assert tree(edit) == before, "snapshotting wrote into the editable project"


def test_beam_deps_boot_installs_the_staging_as_a_worker_sees_it(loose_staged, tmp_path):
    """The contract with the boot (issue 5): Beam stages every file under its basename in one
    folder; `beam-deps-boot --setup-only` verifies the manifest and builds the environment."""
    _, staging, _ = loose_staged
    flat = tmp_path / "staged"
    flat.mkdir()
    for a in staging.artifacts:
        shutil.copyfile(staging.out / a.path, flat / Path(a.path).name)
    shutil.copyfile(staging.out / manifest.MANIFEST_NAME, flat / manifest.MANIFEST_NAME)
    boot = [sys.executable, "-c", "from beam_deps.boot.main import main; main()"]
    proc = subprocess.run(
        [*boot, "--setup-only", "--staged", str(flat), "--cache-dir", str(tmp_path / "envs")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    python = proc.stdout.strip().splitlines()[-1]
    assert staging.environment_key[:12] in proc.stderr
    check = subprocess.run(
        [python, "-c", "import mylib, iniconfig; print(mylib.shout('ok'))"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert check.stdout.strip() == "OK!", check.stderr
