"""beam-deps-boot under attack and bad luck (issue 12, boot items; issue 10, the boot's room).

Each test reproduces the attack or the fault with the real console script of the worker image
and real uv/pip, then checks that it now holds: a poisoned cache key, a file swapped between
verification and install, caches and work directories other users can write, pip options and
includes in staged requirements, Beam's second install pass, a manifest nested too deeply, and
a pip installer left running after the boot was killed.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from concurrent import futures
from pathlib import Path

import boot_support as bs
import pytest
from test_boot_setup import boot, boot_key, envs, error_lines, lock_files, run_in

NOBODY = 65534
SECRET = "TOP-SECRET-LINE-4711"
SECRET_LINE = f"root:{SECRET}:0:0:/root:/bin/bash"  # a worker file pip would quote


@pytest.fixture(scope="module")
def assets(tmp_path_factory) -> bs.Assets:
    return bs.assets(tmp_path_factory.getbasetemp() / "boot-assets")


@pytest.fixture
def staged(assets, tmp_path) -> bs.Staged:
    return bs.stage_by_hand(
        tmp_path / "staged", ["mergedeep==1.3.4"], [assets.local_wheel], assets.wheelhouse
    )


def planted_wheel(path: Path, greeting: str) -> Path:
    """A wheel of ``bdtestlib`` 0.1.0 (the local package's name and version) whose code is
    someone else's."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("bdtestlib/__init__.py", f"GREETING = {greeting!r}\n")
        info = "bdtestlib-0.1.0.dist-info"
        zf.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: bdtestlib\nVersion: 0.1.0\n")
        zf.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        zf.writestr(f"{info}/RECORD", "")
    return path


def greeting(python: str) -> str:
    probe = run_in(python, "import bdtestlib; print(bdtestlib.GREETING)")
    assert probe.returncode == 0, probe.stderr
    return probe.stdout.strip()


def refused(result: subprocess.CompletedProcess, code: str) -> str:
    """The one error line of a refused boot (exit 1, no traceback, nothing on stdout)."""
    assert result.returncode == 1, result.stderr
    (line,) = error_lines(result.stderr)
    assert code in line
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    assert result.stdout == ""
    return line


# ------------------------------------------------------------------ 1. cache poisoning


def test_a_staging_carrying_another_jobs_key_cannot_poison_that_jobs_environment(
    assets, staged, tmp_path
):
    """The attacker changes the local wheel, re-hashes the manifest and keeps the victim's
    environment_key, then boots first. The victim must get its own environment."""
    evil = tmp_path / "evil"
    shutil.copytree(staged.path, evil)
    wheel = evil / "wheels" / assets.local_wheel.name
    planted_wheel(wheel, "planted")
    manifest = json.loads((evil / "beam_deps_manifest.json").read_text())
    for entry in manifest["artifacts"]:
        if entry["path"] == f"wheels/{wheel.name}":
            entry["sha256"] = bs.sha256(wheel)
    assert manifest["environment_key"] == staged.manifest["environment_key"]  # kept
    (evil / "beam_deps_manifest.json").write_text(json.dumps(manifest))
    cache = tmp_path / "cache"
    first = boot(assets, "--setup-only", "--staged", str(evil), cache=cache)
    assert first.returncode == 0, first.stderr  # consistent: the manifest proves no more
    assert greeting(first.stdout.strip()) == "planted"
    victim = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert victim.returncode == 0, victim.stderr
    assert "reusing cached environment" not in victim.stderr
    assert victim.stdout != first.stdout and len(envs(cache)) == 2
    assert greeting(victim.stdout.strip()) == "staged"


# ------------------------------------------------------------------ 2. check-then-use


def test_a_wheel_swapped_after_verification_is_never_installed(assets, staged, tmp_path):
    """Deterministic race: the boot has verified the files and waits for the env's lock (the
    test holds it); the test swaps the verified wheel for another, then lets the boot go."""
    from filelock import FileLock

    cache = tmp_path / "cache"
    (cache / "envs").mkdir(parents=True)
    _key, name = boot_key(assets, staged.path)
    lock = FileLock(str(cache / "envs" / f"{name}.lock"))
    lock.acquire()
    log = tmp_path / "boot.log"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [str(bs.image_bin(assets.image, "beam-deps-boot")), "--setup-only"]
            + ["--staged", str(staged.path)],
            env=bs.clean_env(BEAM_DEPS_CACHE_DIR=str(cache)),
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        try:
            deadline = time.monotonic() + 120
            while "waiting" not in log.read_text():
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            planted_wheel(staged.path / "wheels" / assets.local_wheel.name, "swapped")
        finally:
            lock.release()
        out, _ = proc.communicate(timeout=300)
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, log.read_text())
    line = refused(result, "BD501")
    assert "changed after it was verified" in line and assets.local_wheel.name in line
    assert envs(cache) == []  # nothing built, nothing cached under the good key


# ------------------------------------------------------------------ 3. foreign directories


@pytest.mark.parametrize(
    "attack",
    ["owned-by-another-user", "writable-by-others", "writable-by-group", "inside-foreign-dir"],
)
def test_a_cache_another_user_can_write_is_refused_before_it_is_used(
    assets, staged, tmp_path, attack
):
    cache = tmp_path / "cache"
    first = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    assert first.returncode == 0, first.stderr  # a complete env is there to be reused
    envs_dir = cache / "envs"
    if attack == "owned-by-another-user":
        os.chown(envs_dir, NOBODY, NOBODY)
    elif attack == "writable-by-others":
        envs_dir.chmod(0o777)
    elif attack == "writable-by-group":
        envs_dir.chmod(0o775)
    else:
        os.chown(cache, NOBODY, NOBODY)
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    line = refused(result, "BD505")
    assert f"refusing the environment cache {envs_dir}" in line
    expected = {
        "owned-by-another-user": "is owned by uid 65534",
        "writable-by-others": "is writable by others (mode 777)",
        "writable-by-group": "is writable by its group (mode 775)",
        "inside-foreign-dir": f"is inside {cache}, which",
    }[attack]
    assert expected in line.replace("nobody (uid 65534)", "uid 65534")
    assert "reusing" not in result.stderr


def provision_server(dead: str):
    """Beam's provision stubs answering with endpoints nobody serves and no artifacts."""
    import grpc
    from apache_beam.portability.api import (
        beam_provision_api_pb2,
        beam_provision_api_pb2_grpc,
        endpoints_pb2,
    )
    from google.protobuf import struct_pb2

    class Provision(beam_provision_api_pb2_grpc.ProvisionServiceServicer):
        def GetProvisionInfo(self, request, context):
            info = beam_provision_api_pb2.ProvisionInfo(
                pipeline_options=struct_pb2.Struct(),
                artifact_endpoint=endpoints_pb2.ApiServiceDescriptor(url=dead),
                control_endpoint=endpoints_pb2.ApiServiceDescriptor(url=dead),
                logging_endpoint=endpoints_pb2.ApiServiceDescriptor(url=dead),
            )
            return beam_provision_api_pb2.GetProvisionInfoResponse(info=info)

    server = grpc.server(futures.ThreadPoolExecutor(2))
    beam_provision_api_pb2_grpc.add_ProvisionServiceServicer_to_server(Provision(), server)
    port = server.add_insecure_port("localhost:0")
    server.start()
    return server, port


@pytest.mark.parametrize("attack", ["owned-by-another-user", "writable-by-others"])
def test_a_default_work_dir_another_user_can_write_is_refused(assets, tmp_path, attack):
    """A worker without --semi_persist_dir works in <tmp>/beam-deps-boot-<uid>; someone who
    made that folder first must not get to put files among the staged ones."""
    tmp = tmp_path / "tmp"
    work = tmp / f"beam-deps-boot-{os.geteuid()}"
    work.mkdir(parents=True)
    if attack == "owned-by-another-user":
        os.chown(work, NOBODY, NOBODY)
    else:
        work.chmod(0o777)
    server, port = provision_server(f"localhost:{bs.free_port()}")
    try:
        result = boot(
            assets,
            "--id=worker_3",
            f"--provision_endpoint=localhost:{port}",
            "--connect-timeout=1",
            "--on-error=exit",
            cache=tmp_path / "cache",
            TMPDIR=str(tmp),
        )
    finally:
        server.stop(0)
    line = refused(result, "BD505")
    assert f"refusing the work directory {work}" in line
    assert list(work.iterdir()) == []  # nothing was retrieved into it


# ------------------------------------------------------------------ 4. staged requirements


@pytest.mark.parametrize(
    "line, says",
    [
        ("--index-url http://127.0.0.1:9/simple", "pip option `--index-url`"),
        ("--find-links http://127.0.0.1:9/links", "pip option `--find-links`"),
        ("-r {secret}", "pip option `-r"),
        ("--requirement={secret}", "pip option `--requirement`"),
        ("-e git+https://example.invalid/x.git#egg=x", "pip option `-e`"),
        ("mergedeep==1.3.4 --index-url http://127.0.0.1:9/simple", "options other than --hash"),
        ("iniconfig @ file:///etc/passwd", "from a file on the worker"),
        ("./iniconfig-2.0.0-py3-none-any.whl", "is not a requirement"),
        ("iniconfig==${{HOME}}", "environment variable"),
    ],
    ids=[
        "index-url",
        "find-links",
        "r-file",
        "requirement-eq",
        "editable",
        "trailing-option",
        "file-url",
        "path",
        "env-var",
    ],
)
def test_under_a_manifest_only_requirement_lines_are_accepted(assets, tmp_path, line, says):
    secret = tmp_path / "worker-secret.txt"
    secret.write_text(f"{SECRET_LINE}\n")
    staged = bs.stage_by_hand(
        tmp_path / "staged",
        ["mergedeep==1.3.4", line.format(secret=secret)],
        [],
        assets.wheelhouse,
    )
    cache = tmp_path / "cache"
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=cache)
    error = refused(result, "BD501")
    assert "requirements.txt line " in error and says in error
    assert SECRET not in result.stderr
    assert envs(cache) == [] and lock_files(cache) == []


def test_a_hash_the_staged_wheel_does_not_have_is_refused(assets, tmp_path):
    pinned = "mergedeep==1.3.4 --hash=sha256:" + "0" * 64
    staged = bs.stage_by_hand(tmp_path / "staged", [pinned], [], assets.wheelhouse)
    result = boot(assets, "--setup-only", "--staged", str(staged.path), cache=tmp_path / "c")
    line = refused(result, "BD501")
    assert "mergedeep-1.3.4-py3-none-any.whl is not one the --hash options" in line


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_without_a_manifest_an_included_worker_file_is_never_echoed(assets, tmp_path, installer):
    """Beam's semantics (pip obeys ``-r``), but neither the log nor the error quotes the file."""
    secret = tmp_path / "worker-secret.txt"
    secret.write_text(f"{SECRET_LINE}\n")
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "requirements.txt").write_text(f"mergedeep==1.3.4\n-r {secret}\n")
    cache = tmp_path / "cache"
    result = boot(
        assets, "--setup-only", "--staged", str(staged), cache=cache, BEAM_DEPS_INSTALLER=installer
    )
    line = refused(result, "BD504")
    assert f"include {secret} from outside the staged files" in line
    assert f"the requirements of {secret}" in result.stderr  # named, not read
    assert SECRET not in result.stderr
    assert envs(cache) == []


# ------------------------------------------------------------------ 5. the threat model


def test_the_workers_page_states_the_threat_model():
    page = (bs.REPO / "website" / "docs" / "workers.md").read_text()
    section = " ".join(page.split("## Threat model", 1)[1].split("\n## ", 1)[0].lower().split())
    for fact in (
        "what the manifest proves",
        "what it does not prove",
        "who staged",
        "trusted staging bucket",
        "baked into the image",
        "derived",
        "private cop",
    ):
        assert fact in section, fact


# ------------------------------------------------------------------ 6. Beam's second pass


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_without_a_manifest_a_requirement_not_staged_comes_from_the_index(
    assets, tmp_path, installer
):
    """Stock ``--requirements_cache=skip``: requirements.txt and no wheels. Beam's offline pass
    fails; its second pass installs from the index. Not a BD504."""
    assert run_in(str(assets.image), "import iniconfig").returncode != 0
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "requirements.txt").write_text("iniconfig==2.0.0\nmergedeep==1.3.4\n")
    shutil.copy(next(w for w in assets.wheelhouse if w.name.startswith("mergedeep")), staged)
    cache = tmp_path / "cache"
    result = boot(
        assets, "--setup-only", "--staged", str(staged), cache=cache, BEAM_DEPS_INSTALLER=installer
    )
    assert result.returncode == 0, result.stderr
    assert "installing them with the package index allowed, as Beam's boot does" in result.stderr
    assert not error_lines(result.stderr)
    probe = run_in(result.stdout.strip(), "import iniconfig, mergedeep")
    assert probe.returncode == 0, probe.stderr
    facts = json.loads((envs(cache)[0] / ".beam-deps-complete").read_text())
    assert facts["installer"] == installer
    assert {"iniconfig==2.0.0", "mergedeep==1.3.4"} <= set(facts["installed"])


# ------------------------------------------------------------------ 17. smaller faults


@pytest.mark.parametrize("where", ["top", "inside-inputs"])
def test_a_deeply_nested_manifest_is_bd501_not_a_recursion_error(assets, tmp_path, where):
    nested = "[" * 100_000 + "]" * 100_000
    text = nested if where == "top" else '{"version": 1, "inputs": ' + nested + "}"
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "beam_deps_manifest.json").write_text(text)
    result = boot(assets, "--setup-only", "--staged", str(staged), cache=tmp_path / "c")
    line = refused(result, "BD501")
    assert "is not a readable beam-deps manifest (nested too deeply" in line
    assert "RecursionError" not in result.stderr


class BlackHole:
    """A package index that accepts connections and never answers: pip waits on it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/simple"
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        for conn in self.accepted:
            conn.close()
        self.sock.close()


def processes_mentioning(text: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{proc.name}: {cmdline[:300]}")
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal: Linux")
def test_killing_a_pip_boot_leaves_no_pip_writing_into_the_environment(assets, tmp_path):
    """kill -9 of the boot while pip installs (here: waits on an index that never answers).
    pip must die with it: a pip left running would write into the environment the next boot
    removes and rebuilds."""
    staged = bs.stage_by_hand(
        tmp_path / "staged",
        ["iniconfig==2.0.0", "mergedeep==1.3.4"],
        [assets.local_wheel],
        assets.wheelhouse,
    )
    cache = tmp_path / "cache"
    index = BlackHole()
    proc = subprocess.Popen(
        [
            str(bs.image_bin(assets.image, "beam-deps-boot")),
            "--setup-only",
            "--staged",
            str(staged.path),
            "--installer",
            "pip",
        ],
        env=bs.clean_env(
            BEAM_DEPS_CACHE_DIR=str(cache),
            PIP_INDEX_URL=index.url,
            PIP_CONFIG_FILE=os.devnull,
            PIP_FIND_LINKS="",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        while not index.accepted:
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "pip never asked the index"
            time.sleep(0.05)
        installers = processes_mentioning(str(cache))
        assert installers, "no installer process found while pip waits on the index"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while processes_mentioning(str(cache)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert processes_mentioning(str(cache)) == [], installers
    finally:
        if proc.poll() is None:
            proc.kill()
        for line in processes_mentioning(str(cache)):  # never leave a pip behind
            os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)
        index.close()
    (env,) = envs(cache)
    assert not (env / ".beam-deps-complete").exists()  # half-built: the next boot rebuilds it


# ------------------------------------------------------------------ issue 10: the boot's room

SHARED_HELPERS = {
    "beam_deps.cache_dirs",
    "beam_deps.errors",
    "beam_deps.hashing",
    "beam_deps.processes",
    "beam_deps.requirements_files",
}
# The catalogue is a package of data modules (rules by family); all of it is allowed.
CATALOGUE = {
    f"beam_deps.catalogue.{p.stem}"
    for p in (bs.REPO / "beam_deps" / "catalogue").glob("*.py")
    if p.stem != "__init__"
}
ALLOWED = SHARED_HELPERS | CATALOGUE | {"beam_deps", "beam_deps.catalogue", "beam_deps.diagnostics"}


def imports_of(module: str) -> set[str]:
    """Every module ``module``'s source imports, at the top or inside functions."""
    rel = Path(*module.split("."))
    path = bs.REPO / (f"{rel}.py" if (bs.REPO / f"{rel}.py").exists() else rel / "__init__.py")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                raise AssertionError(f"{module}: relative import")
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names if node.module == "beam_deps"}
    return found


def test_the_boot_reaches_no_check_or_staging_code():
    """Static scan (imports inside functions too), followed through every beam_deps module
    the boot reaches; the shared helpers import only the standard library."""
    todo = [f"beam_deps.boot.{p.stem}" for p in (bs.REPO / "beam_deps" / "boot").glob("*.py")]
    todo = [m.removesuffix(".__init__") for m in todo]
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for name in imports_of(module):
            if not name.startswith("beam_deps"):
                if module in SHARED_HELPERS:
                    assert name.split(".")[0] in sys.stdlib_module_names, (module, name)
                continue
            inside_boot = name == "beam_deps.boot" or name.startswith("beam_deps.boot.")
            assert inside_boot or name in ALLOWED, f"{module} imports {name}"
            module_file = (bs.REPO / Path(*name.split("."))).with_suffix(".py")
            package = bs.REPO / Path(*name.split(".")) / "__init__.py"
            # beam_deps/__init__ is run as the parent package, not called: its lazy public
            # API (check_script, stage) is never reached from the boot (the next test).
            if name != "beam_deps" and (module_file.exists() or package.exists()):
                todo.append(name)
    assert "beam_deps.processes" in seen and "beam_deps.boot.staged_requirements" in seen


def test_importing_the_boot_loads_no_check_or_staging_module():
    code = (
        "import sys, beam_deps.boot.main, beam_deps.boot.plan, beam_deps.boot.install, "
        "beam_deps.boot.env_cache, beam_deps.boot.artifacts, beam_deps.boot.refuse; "
        "print(sorted(m for m in sys.modules if m.startswith('beam_deps')))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    loaded = set(ast.literal_eval(result.stdout))
    outside = {m for m in loaded if not m.startswith("beam_deps.boot")} - ALLOWED
    assert outside == set()


def test_one_pid_alive_answer_for_staging_and_the_boot(tmp_path):
    from beam_deps.processes import pid_alive

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert pid_alive(child.pid)
    finally:
        child.kill()
        child.wait()
    assert not pid_alive(child.pid)  # reaped: gone
    assert pid_alive(os.getpid()) and pid_alive(1)  # pid 1: another user's on most machines
    assert not pid_alive(0) and not pid_alive(-1) and not pid_alive(2**40)  # never a process
