"""beam-deps-boot on real Beam workers: a worker pool started from a worker image.

The pool runs from a virtualenv that has apache-beam and beam-deps but none of the pipeline's
dependencies, in an empty directory without PYTHONPATH; the pipeline is submitted from the dev
environment through Beam's embedded job server, whose provision and artifact services hand the
boot the staged files exactly as a cluster would. The negative control proves the isolation:
without the staging args the same job fails on those workers.
"""

from __future__ import annotations

import shutil

import boot_support as bs
import pytest

pytestmark = pytest.mark.slow

EXPECTED = ["ALPHA!", "BETA!", "GAMMA!"]


@pytest.fixture(scope="module")
def assets(tmp_path_factory) -> bs.Assets:
    return bs.assets(tmp_path_factory.getbasetemp() / "boot-assets")


@pytest.fixture(scope="module")
def pool(assets, tmp_path_factory):
    with bs.running_pool(assets, tmp_path_factory.mktemp("pool")) as worker_pool:
        yield worker_pool


@pytest.fixture(scope="module")
def staged(assets, tmp_path_factory) -> bs.Staged:
    """The real `beam-deps stage` output when staging is available, else the same by hand."""
    out = tmp_path_factory.mktemp("staged") / "out"
    result = bs.stage_with_beam_deps(assets.project / "pipeline.py", out, str(out / "unused"))
    if result is not None:
        return result
    return bs.stage_by_hand(out, ["mergedeep==1.3.4"], [assets.local_wheel], assets.wheelhouse)


@pytest.fixture(scope="module")
def cold_start(pool, staged, assets, tmp_path_factory):
    """Four jobs submitted at once on a cold cache: four workers boot at the same moment."""
    outs = tmp_path_factory.mktemp("cold-out")
    mark = pool.mark()
    procs = [
        bs.start_script(
            assets.project / "pipeline.py",
            [str(outs / f"job{i}"), *bs.portable_args(pool, *staged.pipeline_args)],
            cwd=assets.project,
        )
        for i in range(4)
    ]
    results = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            results.append((proc.returncode, err))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return results, [bs.read_outputs(outs / f"job{i}") for i in range(4)], pool.log_since(mark)


def cache_entries(pool: bs.WorkerPool) -> list[str]:
    """What the pool's workers keep in their environment cache (``envs/`` of the cache root)."""
    envs = pool.cache_dir / "envs"
    return sorted(p.name for p in envs.iterdir()) if envs.exists() else []


def boot_lines(log: str, needle: str) -> list[str]:
    return [ln for ln in log.splitlines() if ln.startswith("beam-deps-boot[") and needle in ln]


def test_four_workers_booting_at_once_install_once_and_all_run(cold_start, pool):
    results, outputs, log = cold_start
    for code, err in results:
        assert code == 0, err[-3000:]
    assert outputs == [EXPECTED] * 4
    assert len(boot_lines(log, "executing ")) == 4
    assert len(boot_lines(log, ": installed ")) == 1, log
    assert len(boot_lines(log, "reusing cached environment")) == 3, log
    envs = [p for p in (pool.cache_dir / "envs").iterdir() if p.is_dir() and p.name != "uv"]
    assert len(envs) == 1
    assert (envs[0] / ".beam-deps-complete").is_file()
    assert not list((pool.cache_dir / "envs").glob("*.lock"))


def test_second_job_reuses_the_cached_environment(cold_start, pool, staged, assets, tmp_path):
    mark = pool.mark()
    result = bs.run_script(
        assets.project / "pipeline.py",
        [str(tmp_path / "again"), *bs.portable_args(pool, *staged.pipeline_args)],
        cwd=assets.project,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert bs.read_outputs(tmp_path / "again") == EXPECTED
    log = pool.log_since(mark)
    assert boot_lines(log, "reusing cached environment")
    assert not boot_lines(log, "installing ")


def test_without_staging_args_the_same_job_fails_on_these_workers(pool, assets, tmp_path):
    """Negative control: the workers really cannot see the pipeline's dependencies."""
    result = bs.run_script(
        assets.project / "pipeline.py",
        [str(tmp_path / "out"), *bs.portable_args(pool)],
        cwd=assets.project,
    )
    assert result.returncode != 0
    assert "No module named 'mergedeep'" in result.stderr or (
        "No module named 'bdtestlib'" in result.stderr
    ), result.stderr[-3000:]
    assert not list(tmp_path.glob("out*"))


def test_a_staged_file_edited_after_staging_makes_the_boot_refuse(pool, staged, assets, tmp_path):
    tampered = tmp_path / "tampered"
    shutil.copytree(staged.path, tampered)
    wheel = next((tampered / "wheels").glob("*.whl"))
    with open(wheel, "ab") as fh:
        fh.write(b"# edited after staging\n")
    args = [a.replace(str(staged.path), str(tampered)) for a in staged.pipeline_args]
    envs_before = cache_entries(pool)
    mark = pool.mark()
    result = bs.run_script(
        assets.project / "pipeline.py",
        [str(tmp_path / "out"), *bs.portable_args(pool, *args)],
        cwd=assets.project,
        timeout=180,
    )
    assert result.returncode != 0
    # The job fails with the boot's reason, not after a hang or with an ImportError.
    assert "beam-deps-boot refused to start worker" in result.stderr
    assert "BD501" in result.stderr and wheel.name in result.stderr
    # The boot's own log line reached the runner through Beam's Fn API logging service.
    assert 'message: "beam-deps-boot: BD501' in result.stderr
    log = pool.log_since(mark)
    (refusal,) = boot_lines(log, "error: BD501")
    assert "does not match the manifest" in refusal
    assert not boot_lines(log, "installing ")
    assert not boot_lines(log, "executing ")
    assert cache_entries(pool) == envs_before


def test_dill_with_save_main_session_works_through_the_boot(pool, assets, tmp_path):
    pytest.importorskip("dill")
    staged = bs.stage_by_hand(
        tmp_path / "staged", ["mergedeep==1.3.4"], [], assets.wheelhouse, pickle_library="dill"
    )
    result = bs.run_script(
        assets.project / "dill_pipeline.py",
        [
            str(tmp_path / "out"),
            *bs.portable_args(
                pool, "--pickle_library=dill", "--save_main_session", *staged.pipeline_args
            ),
        ],
        cwd=assets.project,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert bs.read_outputs(tmp_path / "out") == ["alpha-main-session", "beta-main-session"]
