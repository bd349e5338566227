"""Helpers for the worker-boot tests: a worker image, staged directories, a real worker pool.

The worker image is a virtualenv made from the *base* interpreter (not the dev venv, which has
the pipeline's dependencies) with apache-beam at the dev venv's version and beam-deps from this
checkout, plus uv: exactly what a custom container would have, and nothing of the pipeline's.
It is built once per test session (uv's cache makes that seconds) and shared.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import apache_beam

REPO = Path(__file__).resolve().parents[1]
BEAM_VERSION = apache_beam.__version__
BASE_PYTHON = getattr(sys, "_base_executable", None) or sys.executable


def uv_bin() -> str:
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except Exception:
        found = shutil.which("uv")
        if not found:
            raise RuntimeError("the boot tests need uv (pip install beam-deps[test])") from None
        return found


def _dill_pin() -> list[str]:
    try:
        from importlib.metadata import version

        return [f"dill=={version('dill')}"]
    except Exception:
        return []


@functools.cache
def worker_image(root: Path) -> Path:
    """Create (once) the worker-image venv under ``root``; return its python."""
    image = Path(root) / "worker-image"
    python = image / "bin" / "python"
    done = image / ".ready"
    if done.exists():
        return python
    shutil.rmtree(image, ignore_errors=True)
    uv = uv_bin()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    subprocess.run(
        [uv, "venv", "--quiet", "--python", BASE_PYTHON, str(image)], check=True, env=env
    )
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            f"apache-beam=={BEAM_VERSION}",
            "uv",  # beam-deps[uv]: the boot's preferred installer
            "pip",  # so the pip fallback can be tested in the same image
            *_dill_pin(),
            "-e",
            str(REPO),
        ],
        check=True,
        env=env,
    )
    done.write_text("ok")
    return python


def image_bin(python: Path, name: str) -> Path:
    return Path(python).parent / name


# ------------------------------------------------------------------ staged directories

LOCAL_LIB = '''"""A local package that only the staged wheel brings to the workers."""

GREETING = "staged"


def shout(word):
    return f"{word.upper()}!"
'''

PIPELINE = '''"""A pipeline whose workers need a local package and a third-party module."""
import sys

import apache_beam as beam
import mergedeep
from apache_beam.options.pipeline_options import PipelineOptions

from bdtestlib import shout


def fmt(word):
    return mergedeep.merge({}, {"w": shout(word)})["w"]


def main(argv):
    out = argv[0]
    options = PipelineOptions(argv[1:])
    with beam.Pipeline(options=options) as p:
        (p | beam.Create(["alpha", "beta", "gamma"])
           | beam.Map(fmt)
           | beam.io.WriteToText(out, shard_name_template=""))


if __name__ == "__main__":
    main(sys.argv[1:])
'''

DILL_PIPELINE = '''"""dill + --save_main_session: the DoFn reads a module-level name of __main__."""
import re
import sys

import apache_beam as beam
import mergedeep
from apache_beam.options.pipeline_options import PipelineOptions

SUFFIX = "-main-session"


def fmt(word):
    return mergedeep.merge({}, {"w": word + SUFFIX})["w"]


def main(argv):
    out = argv[0]
    options = PipelineOptions(argv[1:])
    with beam.Pipeline(options=options) as p:
        (p | beam.Create(["alpha", "beta"])
           | beam.Map(fmt)
           | beam.io.WriteToText(out, shard_name_template=""))


if __name__ == "__main__":
    main(sys.argv[1:])
'''


PYPROJECT = (
    '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
    '[project]\nname = "bdtestlib"\nversion = "0.1.0"\n'
    '[tool.setuptools]\npackages = ["bdtestlib"]\n'
)


def write_project(root: Path) -> Path:
    """A loose project, as users write them: pipeline.py next to a local package."""
    project = Path(root)
    (project / "bdtestlib").mkdir(parents=True, exist_ok=True)
    (project / "bdtestlib" / "__init__.py").write_text(LOCAL_LIB)
    (project / "pipeline.py").write_text(PIPELINE)
    (project / "dill_pipeline.py").write_text(DILL_PIPELINE)
    return project


def build_wheel(project: Path, out: Path) -> Path:
    """A real wheel of the local package, built by uv from a copy (the project stays clean)."""
    out.mkdir(parents=True, exist_ok=True)
    src = out / "src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(
        project / "bdtestlib", src / "bdtestlib", ignore=shutil.ignore_patterns("*.pyc")
    )
    (src / "pyproject.toml").write_text(PYPROJECT)
    subprocess.run([uv_bin(), "build", "--quiet", "--wheel", "-o", str(out), str(src)], check=True)
    shutil.rmtree(src, ignore_errors=True)
    (wheel,) = out.glob("*.whl")
    return wheel


def download_wheels(requirements: list[str], dest: Path) -> list[Path]:
    """Wheels from PyPI (the only network the tests use), once per session directory."""
    dest.mkdir(parents=True, exist_ok=True)
    if not any(dest.glob("*.whl")):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary",
                ":all:",
                "--disable-pip-version-check",
                "-d",
                str(dest),
                *requirements,
            ],
            check=True,
        )
    return sorted(dest.glob("*.whl"))


@dataclass
class Assets:
    image: Path  # the worker image's python
    project: Path
    local_wheel: Path
    wheelhouse: list[Path]


@functools.cache
def assets(root: Path) -> Assets:
    """Everything the boot tests share, built once per session under ``root``.

    Removed when the test process exits (the image alone is a few hundred MB), whatever the
    outcome; pytest keeps the small per-test directories for debugging.
    """
    root = Path(root)
    atexit.register(shutil.rmtree, root, True)
    image = worker_image(root)
    project = write_project(root / "project")
    wheel = build_wheel(project, root / "dist")
    house = download_wheels(["mergedeep==1.3.4"], root / "downloads")
    return Assets(image, project, wheel, house)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass
class Staged:
    path: Path
    pipeline_args: list[str] = field(default_factory=list)

    @property
    def manifest(self) -> dict:
        return json.loads((self.path / "beam_deps_manifest.json").read_text())


def stage_by_hand(
    out: Path,
    requirements: list[str],
    local_wheels: list[Path],
    wheelhouse: list[Path] = (),
    pickle_library: str = "cloudpickle",
) -> Staged:
    """What ``beam-deps stage`` writes, in the brief's manifest format, built by hand.

    Used until (and beside) the real stager: the boot tests must not depend on how staging
    decides *what* to stage, only on the format it writes.
    """
    import sysconfig

    out.mkdir(parents=True, exist_ok=True)
    (out / "wheels").mkdir(exist_ok=True)
    (out / "wheelhouse").mkdir(exist_ok=True)
    req = out / "requirements.txt"
    req.write_text("".join(f"{r}\n" for r in sorted(requirements)))
    artifacts = [{"path": "requirements.txt", "sha256": sha256(req), "role": "requirements"}]
    staged_local = []
    for wheel in local_wheels:
        target = out / "wheels" / Path(wheel).name
        shutil.copyfile(wheel, target)
        staged_local.append(target)
        artifacts.append(
            {"path": f"wheels/{target.name}", "sha256": sha256(target), "role": "local_wheel"}
        )
    staged_house = []
    for wheel in wheelhouse:
        target = out / "wheelhouse" / Path(wheel).name
        shutil.copyfile(wheel, target)
        staged_house.append(target)
        artifacts.append(
            {"path": f"wheelhouse/{target.name}", "sha256": sha256(target), "role": "wheelhouse"}
        )
    key = hashlib.sha256()
    for line in sorted(requirements):
        key.update(line.encode() + b"\n")
    for a in artifacts[1:]:
        key.update(a["sha256"].encode())
    manifest = {
        "version": 1,
        "environment_key": key.hexdigest(),
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "platform": sysconfig.get_platform(),
        "apache_beam": BEAM_VERSION,
        "pickle_library": pickle_library,
        "artifacts": artifacts,
        "requirements": sorted(requirements),
        "inputs": {"by": "tests/boot_support.py"},
    }
    (out / "beam_deps_manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    args = [
        f"--requirements_file={req}",
        "--requirements_cache=skip",
        *[f"--extra_package={w}" for w in staged_local],
        *[f"--files_to_stage={w}" for w in staged_house],
        f"--files_to_stage={out / 'beam_deps_manifest.json'}",
    ]
    return Staged(out, args)


# ------------------------------------------------------------------ processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def clean_env(**extra: str) -> dict:
    """The environment of a worker machine: no PYTHONPATH, no active venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(extra)
    return env


@contextlib.contextmanager
def running_pool(assets: Assets, root: Path) -> Iterator[WorkerPool]:
    """A worker pool on ``assets``' worker image (its environment cache under ``root``),
    stopped when the block ends."""
    pool = WorkerPool(assets.image, root, root / "env-cache")
    try:
        yield pool
    finally:
        pool.stop()


class WorkerPool:
    """``python -m apache_beam.runners.worker.worker_pool_main`` from the worker image.

    Runs in its own process group in an empty working directory, so ``stop`` can end the pool,
    its boots and their SDK workers together, and nothing of the test tree is importable.
    """

    def __init__(self, image_python: Path, root: Path, cache_dir: Path, **env: str) -> None:
        self.root = Path(root)
        self.cwd = self.root / "cwd"
        self.tmp = self.root / "tmp"
        self.cwd.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.cache_dir = Path(cache_dir)
        self.log_path = self.root / "pool.log"
        self.port = free_port()
        self.boot = image_bin(image_python, "beam-deps-boot")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [
                str(image_python),
                "-m",
                "apache_beam.runners.worker.worker_pool_main",
                f"--service_port={self.port}",
                f"--container_executable={self.boot}",
            ],
            cwd=str(self.cwd),
            env=clean_env(
                BEAM_DEPS_CACHE_DIR=str(self.cache_dir),
                TMPDIR=str(self.tmp),
                BEAM_DEPS_BOOT_CONNECT_TIMEOUT="30",
                **env,
            ),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_listening()

    @property
    def address(self) -> str:
        return f"localhost:{self.port}"

    def _wait_listening(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker pool exited early:\n{self.log()}")
            try:
                with socket.create_connection(("localhost", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"worker pool did not listen on {self.port}:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def mark(self) -> int:
        """Position in the log, to read only what a later job wrote."""
        return len(self.log())

    def log_since(self, mark: int) -> str:
        return self.log()[mark:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGINT)  # the pool's atexit stops its workers
                self.proc.wait(timeout=10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # boots and SDK workers left in the group
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=10)
        self._log.close()
        # The environments and staged copies are large; the pool's log is kept for debugging.
        shutil.rmtree(self.cache_dir, ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def portable_args(pool: WorkerPool, *extra: str) -> list[str]:
    return [
        "--runner=PortableRunner",
        "--job_endpoint=embed",
        "--environment_type=EXTERNAL",
        f"--environment_config={pool.address}",
        *extra,
    ]


def start_script(script: Path, args: list[str], *, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        cwd=str(cwd),
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stage_with_beam_deps(script: Path, out: Path, *script_args: str) -> Staged | None:
    """``beam-deps stage --wheelhouse --format json``; None while staging is not available."""
    try:
        import beam_deps.staging.stage  # noqa: F401
    except ImportError:
        return None
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "beam_deps.cli",
            "stage",
            str(script),
            "--out",
            str(out),
            "--wheelhouse",
            "--format",
            "json",
            "--",
            *script_args,
        ],
        cwd=str(script.parent),
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"beam-deps stage failed ({proc.returncode}):\n{proc.stderr}")
    return Staged(Path(out), json.loads(proc.stdout)["pipeline_args"])


def run_script(
    script: Path, args: list[str], *, cwd: Path, timeout: float = 240
) -> subprocess.CompletedProcess:
    """Submit the pipeline from the developer environment (the dev venv, the project's cwd)."""
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=str(cwd),
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def read_outputs(prefix: Path) -> list[str]:
    lines: list[str] = []
    for path in sorted(prefix.parent.glob(prefix.name + "*")):
        lines += path.read_text().splitlines()
    return sorted(lines)


# ------------------------------------------------------------------ log samples for the website


def docs_log(text: str, *, staged: Path, cache: Path) -> str:
    """A boot log as the website shows it: the test's directories read as the page's (the
    staging directory as ``build/staging``, the cache as the default ``~/.cache/beam-deps``),
    and what changes from run to run (environment keys, timings) as placeholders."""
    text = text.replace(str(staged), "build/staging").replace(str(cache), "~/.cache/beam-deps")
    text = re.sub(r"envs/[0-9a-f]{6,}", "envs/<env>", text)
    text = re.sub(r"\(key [0-9a-f]{12}", "(key <key>", text)
    text = re.sub(r"staging [0-9a-f]{12}\b", "staging <staging key>", text)
    text = re.sub(r"\b\d+\.\d\ds\b", "N.NNs", text)
    return text.rstrip() + "\n"
