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
    if not cache.exists():
        return []
    return sorted(p for p in cache.iterdir() if p.is_dir() and p.name != "uv")


def error_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ": error: " in ln]


def run_in(python: str, code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, "-c", code], env=bs.clean_env(), capture_output=True, text=True, cwd="/"
    )


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
    assert facts["environment_key"] == staged.manifest["environment_key"]
    assert facts["installer"] == "uv"
    assert sorted(facts["installed"]) == ["bdtestlib==0.1.0", "mergedeep==1.3.4"]


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
    cache.mkdir()
    name = run_in(
        str(assets.image),
        "from beam_deps.worker.env_cache import env_dir_name; "
        f"print(env_dir_name({staged.manifest['environment_key']!r}))",
    ).stdout.strip()
    lock = FileLock(str(cache / f"{name}.lock"))
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
    """A --setup_file sdist added to a beam-deps staging is unverified: warned, not installed."""
    (staged.path / "workflow.tar.gz").write_bytes(b"not verified by anyone")
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=tmp_path / "c")
    assert result.returncode == 0, result.stderr
    (warning,) = [ln for ln in result.stderr.splitlines() if ": warning: " in ln]
    assert "not installing workflow.tar.gz" in warning and "unverified" in warning


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


# ------------------------------------------------------------------ refusals


def test_an_edited_staged_file_is_refused_and_nothing_is_installed(assets, staged, tmp_path):
    req = staged.path / "requirements.txt"
    req.write_text(req.read_text() + "evil-package==6.6.6\n")
    cache = tmp_path / "cache"
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert result.returncode == 1
    (line,) = error_lines(result.stderr)
    assert "BD501" in line and "requirements.txt" in line and "does not match" in line
    assert result.stdout == ""
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
    assert envs(cache) == []


def test_a_corrupt_wheel_is_refused_and_the_cache_stays_clean(assets, tmp_path):
    corrupt = tmp_path / "brokenpkg-1.0-py3-none-any.whl"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    staged = bs.stage_by_hand(tmp_path / "staged", [], [corrupt])
    cache = tmp_path / "cache"
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert result.returncode == 1
    (line,) = error_lines(result.stderr)
    assert "BD504" in line and "corrupt" in line and corrupt.name in line
    assert envs(cache) == []


def test_an_install_failure_removes_the_half_built_env(assets, tmp_path):
    """A valid wheel whose requirement the staging did not ship: the installer fails offline."""
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
