"""beam-deps-boot's own work, run as the worker image runs it: verify, install, cache, refuse.

Every test runs the real console script from the worker-image venv with real uv/pip and real
wheels; the runner side of the contract is Beam's generated gRPC stubs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import zipfile
from concurrent import futures
from pathlib import Path

import boot_support as bs
import pytest
from support.golden import check_golden


@pytest.fixture(scope="module")
def assets(tmp_path_factory) -> bs.Assets:
    return bs.assets(tmp_path_factory.getbasetemp() / "boot-assets")


@pytest.fixture
def staged(assets, tmp_path) -> bs.Staged:
    return bs.stage_by_hand(
        tmp_path / "staged", ["mergedeep==1.3.4"], [assets.local_wheel], assets.wheelhouse
    )


def boot(assets, *args: str, cache: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(bs.image_bin(assets.image, "beam-deps-boot")), *args],
        env=bs.clean_env(BEAM_DEPS_CACHE_DIR=str(cache), **env),
        cwd=str(cache.parent),
        capture_output=True,
        text=True,
        timeout=300,
    )


def envs(cache: Path) -> list[Path]:
    """The environments under a ``BEAM_DEPS_CACHE_DIR`` (they live in its ``envs/``)."""
    root = cache / "envs"
    if not root.exists():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name != "uv")


def lock_files(cache: Path) -> list[str]:
    """The environments' lock files (not uv's own, in ``envs/uv``)."""
    return sorted(p.name for p in (cache / "envs").glob("*.lock"))


def error_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ": error: " in ln]


def run_in(python: str, code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, "-c", code], env=bs.clean_env(), capture_output=True, text=True, cwd="/"
    )


def boot_key(assets, staged: Path) -> tuple[str, str]:
    """The environment key the boot derives for ``staged`` and the env folder it names,
    computed by the worker image's own beam-deps."""
    result = run_in(
        str(assets.image),
        "from pathlib import Path; from beam_deps.boot.plan import plan_for; "
        "from beam_deps.boot.env_cache import env_dir_name; "
        f"key = plan_for(Path({str(staged)!r})).key; print(key, env_dir_name(key))",
    )
    assert result.returncode == 0, result.stderr
    key, name = result.stdout.split()
    return key, name


# ------------------------------------------------------------------ the happy path


def test_setup_only_prints_an_env_that_has_the_staged_code_over_the_image(assets, staged, tmp_path):
    cache = tmp_path / "cache"
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert result.returncode == 0, result.stderr
    python = result.stdout.strip()
    (env,) = envs(cache)
    assert python == str(env / "bin" / "python")
    probe = run_in(
        python,
        "import bdtestlib, mergedeep, apache_beam; "
        "print(bdtestlib.shout('x'), mergedeep.__file__, apache_beam.__file__)",
    )
    assert probe.returncode == 0, probe.stderr
    shouted, mergedeep_file, beam_file = probe.stdout.split()
    assert shouted == "X!"
    assert mergedeep_file.startswith(str(env))
    assert beam_file.startswith(str(assets.image.parent.parent))  # the image's apache-beam
    # The image itself stays without the pipeline's dependencies.
    assert run_in(str(assets.image), "import mergedeep").returncode != 0
    facts = json.loads((env / ".beam-deps-complete").read_text())
    key, name = boot_key(assets, staged.path)
    assert facts["environment_key"] == key and env.name == name  # derived, never the manifest's
    assert key != staged.manifest["environment_key"]
    assert facts["staging_key"] == staged.manifest["environment_key"]  # named in the log only
    assert facts["installer"] == "uv"
    assert sorted(facts["installed"]) == ["bdtestlib==0.1.0", "mergedeep==1.3.4"]
    assert env.parent == cache / "envs"  # beside the staging cache's stage/, same root
    assert lock_files(cache) == []  # a finished env leaves no lock file behind
    # the log shown on the website (workers.md), from this run
    check_golden("boot_setup_only", bs.docs_log(result.stderr, staged=staged.path, cache=cache))


def test_a_second_setup_reuses_the_env_and_installs_nothing(assets, staged, tmp_path):
    cache = tmp_path / "cache"
    first = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    marker = envs(cache)[0] / ".beam-deps-complete"
    before = marker.stat().st_mtime_ns
    second = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert "reusing cached environment" in second.stderr
    assert "installing" not in second.stderr
    assert marker.stat().st_mtime_ns == before


def test_four_boots_waiting_on_a_cold_cache_install_once(assets, staged, tmp_path):
    """Deterministic overlap: the test holds the env's lock until all four boots wait on it."""
    from filelock import FileLock

    cache = tmp_path / "cache"
    (cache / "envs").mkdir(parents=True)
    _key, name = boot_key(assets, staged.path)
    lock = FileLock(str(cache / "envs" / f"{name}.lock"))
    lock.acquire()
    procs, logs, handles = [], [], []
    try:
        for i in range(4):
            logs.append(tmp_path / f"boot{i}.log")
            handles.append(open(logs[-1], "w"))
            procs.append(
                subprocess.Popen(
                    [str(bs.image_bin(assets.image, "beam-deps-boot")), "--setup-only"]
                    + ["--staged", str(staged.path)],
                    env=bs.clean_env(BEAM_DEPS_CACHE_DIR=str(cache)),
                    stdout=subprocess.PIPE,
                    stderr=handles[-1],
                    text=True,
                )
            )
        deadline = time.monotonic() + 120
        while not all("waiting" in log.read_text() for log in logs):
            assert time.monotonic() < deadline, [log.read_text() for log in logs]
            assert all(p.poll() is None for p in procs), [log.read_text() for log in logs]
            time.sleep(0.1)
    finally:
        lock.release()
        outputs = []
        for proc in procs:
            out, _ = proc.communicate(timeout=300)
            outputs.append(out)
        for handle in handles:
            handle.close()
    stderr = [log.read_text() for log in logs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], stderr
    assert len(set(outputs)) == 1
    assert sum("installing " in err for err in stderr) == 1
    assert sum("reusing cached environment" in err for err in stderr) == 3
    assert len(envs(cache)) == 1
    assert lock_files(cache) == []  # removed by a holder once the env was complete


def test_a_half_built_env_is_detected_and_built_again(assets, staged, tmp_path):
    cache = tmp_path / "cache"
    boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    (env,) = envs(cache)
    # What a worker killed mid-install leaves: files, but no completion marker.
    (env / ".beam-deps-complete").unlink()
    (env / "half-written-file").write_text("junk")
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert result.returncode == 0, result.stderr
    assert "half-built environment" in result.stderr
    assert (env / ".beam-deps-complete").is_file()
    assert not (env / "half-written-file").exists()
    assert lock_files(cache) == []


def test_pip_is_used_when_asked_and_gives_the_same_env(assets, staged, tmp_path):
    cache = tmp_path / "cache"
    result = boot(
        assets, "--setup-only", "--staged", str(staged.path), cache=cache, BEAM_DEPS_INSTALLER="pip"
    )
    assert result.returncode == 0, result.stderr
    facts = json.loads((envs(cache)[0] / ".beam-deps-complete").read_text())
    assert facts["installer"] == "pip"
    assert sorted(facts["installed"]) == ["bdtestlib==0.1.0", "mergedeep==1.3.4"]
    assert run_in(result.stdout.strip(), "import bdtestlib, mergedeep").returncode == 0


def test_requirements_without_a_staged_wheel_come_from_the_index(assets, tmp_path):
    """`beam-deps stage` without --wheelhouse: what has no staged wheel comes from PyPI."""
    assert run_in(str(assets.image), "import iniconfig").returncode != 0  # not in the image
    staged = bs.stage_by_hand(
        tmp_path / "staged",
        ["iniconfig==2.0.0", "mergedeep==1.3.4"],
        [assets.local_wheel],
        assets.wheelhouse,  # mergedeep only
    )
    cache = tmp_path / "cache"
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert result.returncode == 0, result.stderr
    (line,) = [ln for ln in result.stderr.splitlines() if "from the package index" in ln]
    assert "iniconfig==2.0.0" in line and "mergedeep" not in line
    assert "beam-deps stage --wheelhouse" in line
    check_golden("boot_from_index", bs.docs_log(line, staged=staged.path, cache=cache))
    (env,) = envs(cache)
    probe = run_in(result.stdout.strip(), "import iniconfig, mergedeep, bdtestlib")
    assert probe.returncode == 0, probe.stderr
    facts = json.loads((env / ".beam-deps-complete").read_text())
    assert sorted(facts["installed"]) == [
        "bdtestlib==0.1.0",
        "iniconfig==2.0.0",
        "mergedeep==1.3.4",
    ]


def test_a_fully_staged_install_never_asks_the_index(assets, staged, tmp_path):
    """Every requirement has a verified wheel: offline, so a dead index changes nothing."""
    dead = f"http://127.0.0.1:{bs.free_port()}/simple"
    result = boot(
        assets,
        "--setup-only",
        "--staged",
        str(staged.path),
        cache=tmp_path / "cache",
        UV_INDEX_URL=dead,
        UV_DEFAULT_INDEX=dead,
        PIP_INDEX_URL=dead,
    )
    assert result.returncode == 0, result.stderr
    assert "from the package index" not in result.stderr


def test_a_hash_pinned_requirement_is_read_as_pip_reads_it(assets, tmp_path):
    """A pip-compile style line (continued, with --hash) is covered by its staged wheel: the
    boot reads requirements files with the same reader as staging, so nothing goes to the
    index."""
    wheel = next(w for w in assets.wheelhouse if w.name.startswith("mergedeep-"))
    pinned = f"mergedeep==1.3.4 \\\n    --hash=sha256:{bs.sha256(wheel)}"
    staged = bs.stage_by_hand(tmp_path / "staged", [pinned], [], assets.wheelhouse)
    dead = f"http://127.0.0.1:{bs.free_port()}/simple"
    result = boot(
        assets,
        "--setup-only",
        "--staged",
        str(staged.path),
        cache=tmp_path / "cache",
        UV_INDEX_URL=dead,
        UV_DEFAULT_INDEX=dead,
        PIP_INDEX_URL=dead,
    )
    assert result.returncode == 0, result.stderr
    assert "from the package index" not in result.stderr
    assert "installing mergedeep==1.3.4 with" in result.stderr


def test_an_unverified_wheel_beside_the_manifest_cannot_satisfy_a_requirement(assets, tmp_path):
    """Beam's staged folder is flat: a wheel nobody verified must not win over a staged one."""
    staged = bs.stage_by_hand(tmp_path / "staged", ["mergedeep>=1.3"], [], assets.wheelhouse)
    fake_wheel(staged.path / "mergedeep-9.9-py3-none-any.whl", "mergedeep", "9.9")
    cache = tmp_path / "cache"
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert result.returncode == 0, result.stderr
    (env,) = envs(cache)
    facts = json.loads((env / ".beam-deps-complete").read_text())
    assert facts["installed"] == ["mergedeep==1.3.4"]
    assert not (env / ".beam-deps-private").exists()  # the private copies are removed


def test_pip_requirements_artifacts_are_retrieved_apart_and_installed(assets, tmp_path):
    """Beam's stager sends PyPI requirements with the pip_requirements_file role and no
    name; Beam's boot installs every one. Retrieved here from Beam's own artifact service."""
    import grpc
    from apache_beam.portability.api import beam_artifact_api_pb2_grpc, beam_provision_api_pb2
    from apache_beam.runners.portability.artifact_service import ArtifactRetrievalService
    from apache_beam.runners.portability.stager import Stager

    from beam_deps.boot.artifacts import Provision, retrieve

    src = tmp_path / "submitted"
    src.mkdir()
    (src / "first.txt").write_text("mergedeep==1.3.4\n")
    (src / "second.txt").write_text("bdtestlib==0.1.0\n")
    dependencies = [
        Stager._create_file_pip_requirements_artifact(str(src / "first.txt")),
        Stager._create_file_pip_requirements_artifact(str(src / "second.txt")),
        *[
            Stager._create_file_stage_to_artifact(str(w), w.name)
            for w in [*assets.wheelhouse, assets.local_wheel]
        ],
    ]
    server = grpc.server(futures.ThreadPoolExecutor(2))
    beam_artifact_api_pb2_grpc.add_ArtifactRetrievalServiceServicer_to_server(
        ArtifactRetrievalService(lambda path: open(path, "rb")), server
    )
    port = server.add_insecure_port("localhost:0")
    server.start()
    staged = tmp_path / "staged"
    try:
        provision = Provision(
            info=beam_provision_api_pb2.ProvisionInfo(dependencies=dependencies),
            pipeline_options_json="{}",
            logging_endpoint="",
            artifact_endpoint=f"localhost:{port}",
            control_endpoint="",
        )
        names = retrieve(provision, "worker_1", staged, timeout=10)
    finally:
        server.stop(0)
    pypi = sorted(n for n in names if n.endswith(".txt"))
    assert len(pypi) == 2 and len(set(names)) == len(names) == 4
    assert [(staged / n).read_text() for n in pypi] == ["mergedeep==1.3.4\n", "bdtestlib==0.1.0\n"]
    cache = tmp_path / "cache"
    result = boot(assets, "--setup-only", "--staged", str(staged), cache=cache)
    assert result.returncode == 0, result.stderr
    probe = run_in(result.stdout.strip(), "import mergedeep, bdtestlib")
    assert probe.returncode == 0, probe.stderr


def test_beam_stock_artifacts_without_a_manifest_install_in_beams_order(assets, tmp_path):
    """A drop-in boot: requirements.txt + extra_packages.txt as Beam's stager writes them."""
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "requirements.txt").write_text("mergedeep==1.3.4\n")
    for wheel in [*assets.wheelhouse, assets.local_wheel]:
        shutil.copy(wheel, staged)
    (staged / "extra_packages.txt").write_text(assets.local_wheel.name + "\n")
    cache = tmp_path / "cache"
    result = boot(assets, "--setup-only", "--staged", str(staged), cache=cache)
    assert result.returncode == 0, result.stderr
    assert run_in(result.stdout.strip(), "import bdtestlib, mergedeep").returncode == 0
    facts = json.loads((envs(cache)[0] / ".beam-deps-complete").read_text())
    assert facts["source"] == "beam"


def test_packages_staged_beside_the_manifest_are_not_installed_and_said_so(
    assets, staged, tmp_path
):
    """A --setup_file sdist or Beam's PyPI requirements beside a beam-deps staging are
    unverified: warned, not installed."""
    from beam_deps.boot.plan import pip_requirements_name

    (staged.path / "workflow.tar.gz").write_bytes(b"not verified by anyone")
    pypi = staged.path / pip_requirements_name(0, "ab" * 32)
    pypi.write_text("iniconfig==2.0.0\n")
    cache = tmp_path / "c"
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert result.returncode == 0, result.stderr
    (warning,) = [ln for ln in result.stderr.splitlines() if ": warning: " in ln]
    assert "not installing workflow.tar.gz" in warning and "unverified" in warning
    assert pypi.name in warning
    assert run_in(result.stdout.strip(), "import iniconfig").returncode != 0


def test_a_dill_job_is_warned_when_the_image_has_no_dill(assets, tmp_path):
    image_has_dill = run_in(str(assets.image), "import dill").returncode == 0
    staged = bs.stage_by_hand(
        tmp_path / "staged", ["mergedeep==1.3.4"], [], assets.wheelhouse, pickle_library="dill"
    )
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=tmp_path / "c")
    assert result.returncode == 0, result.stderr
    assert ("pickles with dill" in result.stderr) is (not image_has_dill)


def test_nothing_staged_means_the_image_python_and_no_env(assets, tmp_path):
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "submission_environment_dependencies.txt").write_text("apache-beam==x\n")
    cache = tmp_path / "cache"
    result = boot(assets, "--setup-only", "--staged", str(staged), cache=cache)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).parent == assets.image.parent
    assert envs(cache) == []


def test_the_staging_cache_and_worker_envs_share_one_root(tmp_path, monkeypatch):
    """BEAM_DEPS_CACHE_DIR (or XDG_CACHE_HOME) moves both caches, each into its own folder."""
    from beam_deps.boot.env_cache import default_cache_dir
    from beam_deps.cache_dirs import cache_home
    from beam_deps.staging import cache as staging_cache

    monkeypatch.delenv("BEAM_DEPS_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_home() == tmp_path / "xdg" / "beam-deps"
    assert default_cache_dir() == tmp_path / "xdg" / "beam-deps" / "envs"

    root = tmp_path / "root"
    monkeypatch.setenv("BEAM_DEPS_CACHE_DIR", str(root))
    assert cache_home() == root and default_cache_dir() == root / "envs"
    out = tmp_path / "out"
    out.mkdir()
    (out / "requirements.txt").write_text("mergedeep==1.3.4\n")
    staging_cache.store("k" * 64, out, {"pipeline_args": []}, [])
    assert sorted(p.name for p in root.iterdir()) == ["stage"]
    assert (root / "stage" / ("k" * 64) / "out" / "requirements.txt").is_file()


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    "manifest",
    [
        {"version": 1, "artifacts": 5, "environment_key": "x"},
        {"version": 1, "artifacts": [5], "environment_key": "x"},
        {"version": 1, "artifacts": [{"path": 5, "sha256": "ab"}], "environment_key": "x"},
        {"version": 1, "artifacts": [], "environment_key": ["x"]},
        {"version": 1, "artifacts": [], "environment_key": "x", "requirements": 5},
        ["version", 1],
    ],
    ids=["artifacts-int", "entry-int", "path-int", "key-list", "requirements-int", "a-list"],
)
def test_a_manifest_with_wrong_types_is_refused_in_one_line(assets, tmp_path, manifest):
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "beam_deps_manifest.json").write_text(json.dumps(manifest))
    cache = tmp_path / "cache"
    result = boot(assets, "--setup-only", "--staged", str(staged), cache=cache)
    assert result.returncode == 1
    (line,) = error_lines(result.stderr)
    assert "BD501" in line and "is not a readable beam-deps manifest" in line
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    assert result.stdout == "" and envs(cache) == []


def test_a_file_passed_as_the_staged_directory_is_named_as_such(assets, tmp_path):
    not_a_dir = tmp_path / "staging.zip"
    not_a_dir.write_bytes(b"PK")
    result = boot(assets, "--setup-only", "--staged", str(not_a_dir), cache=tmp_path / "c")
    assert result.returncode == 1
    (line,) = error_lines(result.stderr)
    assert "BD503" in line and f"{not_a_dir} is not a directory" in line


def test_an_edited_staged_file_is_refused_and_nothing_is_installed(assets, staged, tmp_path):
    req = staged.path / "requirements.txt"
    req.write_text(req.read_text() + "evil-package==6.6.6\n")
    cache = tmp_path / "cache"
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert result.returncode == 1
    (line,) = error_lines(result.stderr)
    assert "BD501" in line and "requirements.txt" in line and "does not match" in line
    assert result.stdout == ""
    check_golden("boot_refused", bs.docs_log(line, staged=staged.path, cache=cache))
    assert envs(cache) == []


def test_a_missing_staged_file_is_refused(assets, staged, tmp_path):
    next((staged.path / "wheelhouse").glob("*.whl")).unlink()
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=tmp_path / "c")
    assert result.returncode == 1
    (line,) = error_lines(result.stderr)
    assert "BD501" in line and "mergedeep-1.3.4-py3-none-any.whl" in line and "missing" in line


def fake_wheel(path: Path, name: str, version: str, requires: str = "") -> Path:
    """A structurally valid wheel (zip with dist-info) under the given file name."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{name}/__init__.py", "")
        info = f"{name}-{version}.dist-info"
        metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        if requires:
            metadata += f"Requires-Dist: {requires}\n"
        zf.writestr(f"{info}/METADATA", metadata)
        zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: false\n")
        zf.writestr(f"{info}/RECORD", "")
    return path


def test_a_wheel_for_another_platform_is_refused(assets, tmp_path):
    foreign = fake_wheel(
        tmp_path / "fastthing-1.0-cp311-cp311-macosx_11_0_arm64.whl", "fastthing", "1.0"
    )
    staged = bs.stage_by_hand(tmp_path / "staged", ["fastthing==1.0"], [], [foreign])
    cache = tmp_path / "cache"
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert result.returncode == 1
    (line,) = error_lines(result.stderr)
    assert "BD502" in line and foreign.name in line and "does not install on this worker" in line
    assert envs(cache) == [] and lock_files(cache) == []  # refused before the cache is touched
    # An environment cached under the same key (built on another machine sharing the cache)
    # must not hide the wheel this worker cannot install.
    env = cache / "envs" / boot_key(assets, staged.path)[1]
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "python").symlink_to(assets.image)
    (env / ".beam-deps-complete").write_text("{}")
    again = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert again.returncode == 1 and "BD502" in error_lines(again.stderr)[0]


def test_a_corrupt_wheel_is_refused_and_the_cache_stays_clean(assets, tmp_path):
    corrupt = tmp_path / "brokenpkg-1.0-py3-none-any.whl"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    staged = bs.stage_by_hand(tmp_path / "staged", [], [corrupt])
    cache = tmp_path / "cache"
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert result.returncode == 1
    (line,) = error_lines(result.stderr)
    assert "BD504" in line and "corrupt" in line and corrupt.name in line
    assert envs(cache) == [] and lock_files(cache) == []


def test_an_install_failure_removes_the_half_built_env(assets, tmp_path):
    """A requirement the staging did not ship and the index does not have: the install fails."""
    staged = bs.stage_by_hand(tmp_path / "staged", ["not-staged-anywhere==1.0"], [])
    cache = tmp_path / "cache"
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert result.returncode == 1
    (line,) = error_lines(result.stderr)
    assert "BD504" in line and "not-staged-anywhere" in line
    assert envs(cache) == []
    assert not any(p.name.endswith(".beam-deps-complete") for p in cache.rglob("*"))


def test_a_dependency_neither_staged_nor_in_the_image_fails_the_boot_by_name(assets, tmp_path):
    """Staging installs with --no-deps (it resolved the closure); the boot checks the result."""
    needy = fake_wheel(
        tmp_path / "needy-1.0-py3-none-any.whl", "needy", "1.0", requires="notthere>=2"
    )
    staged = bs.stage_by_hand(tmp_path / "staged", [], [needy])
    cache = tmp_path / "cache"
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert result.returncode == 1
    (line,) = error_lines(result.stderr)
    assert "BD504" in line and "needy 1.0 needs notthere>=2, missing" in line
    assert envs(cache) == []


def unwritable_dir(tmp_path: Path) -> Path:
    """A directory this process cannot create entries in (root ignores permission bits)."""
    if os.geteuid() != 0:
        ro = tmp_path / "read-only"
        ro.mkdir()
        ro.chmod(0o555)
        return ro / "cache"
    candidate = Path("/sys/fs/beam-deps-cache")  # sysfs refuses new entries even for root
    try:
        candidate.mkdir()
    except OSError:
        return candidate
    candidate.rmdir()
    pytest.skip("no unwritable directory available to root here")


def test_no_write_permission_on_the_cache_is_one_clear_error(assets, staged, tmp_path):
    cache = unwritable_dir(tmp_path)
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert result.returncode == 1
    (line,) = error_lines(result.stderr)
    assert "BD505" in line and str(cache) in line
    assert "Traceback" not in result.stderr
    assert not cache.exists()


def test_setup_only_without_staged_is_a_usage_error(assets, tmp_path):
    result = boot(assets, "--setup-only", cache=tmp_path / "cache")
    assert result.returncode == 2
    assert "--staged" in result.stderr


# ------------------------------------------------------------------ the runner side


def test_an_unreachable_provision_endpoint_is_one_clear_error(assets, tmp_path):
    port = bs.free_port()
    result = boot(
        assets,
        "-id=w1",  # Go's flag syntax, as Beam's own boot accepts it
        f"-provision_endpoint=localhost:{port}",
        "--connect-timeout=1",
        cache=tmp_path / "cache",
    )
    assert result.returncode == 1
    (line,) = error_lines(result.stderr)
    assert "BD503" in line and f"provision endpoint localhost:{port}" in line


def test_an_unreachable_artifact_endpoint_is_one_clear_error(assets, tmp_path):
    """A provision service (Beam's stubs) that points at an artifact endpoint nobody serves."""
    import grpc
    from apache_beam.portability import common_urns
    from apache_beam.portability.api import (
        beam_provision_api_pb2,
        beam_provision_api_pb2_grpc,
        beam_runner_api_pb2,
        endpoints_pb2,
    )
    from google.protobuf import struct_pb2

    dead = f"localhost:{bs.free_port()}"
    seen_worker_ids = []

    class Provision(beam_provision_api_pb2_grpc.ProvisionServiceServicer):
        def GetProvisionInfo(self, request, context):
            seen_worker_ids.append(dict(context.invocation_metadata()).get("worker_id"))
            artifact = beam_runner_api_pb2.ArtifactInformation(
                type_urn=common_urns.artifact_types.FILE.urn,
                type_payload=beam_runner_api_pb2.ArtifactFilePayload(
                    path="/nowhere/requirements.txt"
                ).SerializeToString(),
                role_urn=common_urns.artifact_roles.STAGING_TO.urn,
                role_payload=beam_runner_api_pb2.ArtifactStagingToRolePayload(
                    staged_name="requirements.txt"
                ).SerializeToString(),
            )
            info = beam_provision_api_pb2.ProvisionInfo(
                pipeline_options=struct_pb2.Struct(),
                artifact_endpoint=endpoints_pb2.ApiServiceDescriptor(url=dead),
                control_endpoint=endpoints_pb2.ApiServiceDescriptor(url=dead),
                logging_endpoint=endpoints_pb2.ApiServiceDescriptor(url=dead),
                dependencies=[artifact],
            )
            return beam_provision_api_pb2.GetProvisionInfoResponse(info=info)

    server = grpc.server(futures.ThreadPoolExecutor(2))
    beam_provision_api_pb2_grpc.add_ProvisionServiceServicer_to_server(Provision(), server)
    port = server.add_insecure_port("localhost:0")
    server.start()
    cache = tmp_path / "cache"
    try:
        result = boot(
            assets,
            "--id=worker_7",
            f"--provision_endpoint=localhost:{port}",
            "--connect-timeout=1",
            f"--semi_persist_dir={tmp_path / 'semi'}",
            cache=cache,
        )
    finally:
        server.stop(0)
    assert seen_worker_ids == ["worker_7"]  # the contract's worker_id header
    assert result.returncode == 1
    (line,) = error_lines(result.stderr)
    assert "BD503" in line and f"artifact endpoint {dead}" in line
    assert envs(cache) == []
