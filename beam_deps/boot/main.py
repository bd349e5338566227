"""``beam-deps-boot``: Beam's SDK container boot, with verified, cached, offline installs.

Beam starts a worker by running a boot program with the container contract flags
(``--id --provision_endpoint --artifact_endpoint --control_endpoint --logging_endpoint
[--semi_persist_dir]``): a worker pool's ``--container_executable``, or a container's
entrypoint. This program does what Beam's Go boot (``sdks/python/container/boot.go``) does,
in the same order, with three differences that are the point of beam-deps:

1. the staged files are checked against ``beam_deps_manifest.json`` *before* anything is
   installed or unpickled (BD501), and wheels against this interpreter (BD502); the installer
   reads private copies of what was checked;
2. the install goes into a virtualenv cached per environment key (derived from what was
   verified, never the manifest's), built once per machine under a file lock, so the next
   worker with the same staging installs nothing; the cache must be the worker user's (BD505);
3. uv is used when the image has it, offline from the verified staged wheels (requirements
   staged without a wheel come from the package index, as with Beam's boot).

Then it execs ``python -m apache_beam.runners.worker.sdk_worker_main`` from that environment
with the variables Beam's boot sets, so everything downstream (``--save_main_session``, the
staged directory on ``sys.path``, logging to the runner) behaves as with Beam's own boot.

``beam-deps-boot --setup-only --staged DIR`` prepares the environment for a staging directory
and prints its python: for prebuilding images and for timing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from beam_deps.boot.errors import BootError
from beam_deps.boot.log import BootLog
from beam_deps.cache_dirs import make_private_dir
from beam_deps.processes import pid_alive

SDK_HARNESS = "apache_beam.runners.worker.sdk_worker_main"
EXIT_BOOT_FAILED = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="beam-deps-boot",
        description="Start a Beam Python SDK worker after verifying and installing the staged "
        "artifacts into a cached environment (Beam's container boot contract).",
    )
    contract = p.add_argument_group("Beam container contract")
    contract.add_argument("--id", default="", help="worker id (required)")
    contract.add_argument("--provision_endpoint", default="", help="provision service (required)")
    contract.add_argument("--artifact_endpoint", default="", help="artifact retrieval service")
    contract.add_argument("--control_endpoint", default="", help="Fn API control service")
    contract.add_argument("--logging_endpoint", default="", help="Fn API logging service")
    contract.add_argument(
        "--semi_persist_dir",
        default=None,
        help="where the staged files go (<dir>/staged); default: a private directory per "
        "worker under the temp dir, so workers of different jobs never share one",
    )
    ours = p.add_argument_group("beam-deps")
    ours.add_argument(
        "--setup-only",
        "--setup_only",
        dest="setup_only",
        action="store_true",
        help="only verify and install the staged directory given with --staged; print the "
        "environment's python and exit",
    )
    ours.add_argument("--staged", help="staging directory for --setup-only")
    ours.add_argument(
        "--cache-dir",
        dest="cache_dir",
        default=None,
        help="environment cache (default: envs/ under $BEAM_DEPS_CACHE_DIR, else "
        "~/.cache/beam-deps/envs)",
    )
    ours.add_argument(
        "--installer",
        choices=("auto", "uv", "pip"),
        default=None,
        help="installer to use (default: $BEAM_DEPS_INSTALLER or auto: uv if present, else pip)",
    )
    ours.add_argument(
        "--connect-timeout",
        dest="connect_timeout",
        type=float,
        default=float(os.environ.get("BEAM_DEPS_BOOT_CONNECT_TIMEOUT", "120")),
        help="seconds to wait for the runner's endpoints (default 120, like Beam's boot)",
    )
    ours.add_argument(
        "--lock-timeout",
        dest="lock_timeout",
        type=float,
        default=None,
        help="seconds to wait for another worker building the same environment (default: no limit)",
    )
    ours.add_argument(
        "--on-error",
        dest="on_error",
        choices=("fail-job", "exit"),
        default=os.environ.get("BEAM_DEPS_BOOT_ON_ERROR", "fail-job"),
        help="after a boot error, answer the runner's instructions with it so the job fails "
        "with the reason (default), or just exit",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(_go_style(argv))
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else 0
    log = BootLog(args.id or "setup")
    try:
        if args.setup_only:
            return _setup_only(args, log)
        if not args.id or not args.provision_endpoint:
            log.error("usage: --id and --provision_endpoint are required (the container contract)")
            return EXIT_USAGE
        return _boot_worker(args, log)
    except Exception as exc:  # a bug or an unforeseen OS error: one line, then the details
        log.error(f"unexpected {exc.__class__.__name__}: {exc}; please report it with the log")
        traceback.print_exc()
        return EXIT_BOOT_FAILED


def _go_style(argv: list[str]) -> list[str]:
    """Go's flag package also accepts ``-id=x``; keep that working for copied commands."""
    return [("-" + a) if re.match(r"^-[a-z_]{2,}", a) else a for a in argv]


# ------------------------------------------------------------------ setup only


def _setup_only(args: argparse.Namespace, log: BootLog) -> int:
    if not args.staged:
        log.error("usage: --setup-only needs --staged DIR (a directory beam-deps stage wrote)")
        return EXIT_USAGE
    try:
        python = prepare(Path(args.staged), args, log)
    except BootError as exc:
        log.error(exc.line())
        return EXIT_BOOT_FAILED
    print(python, flush=True)
    return 0


def prepare(staged: Path, args: argparse.Namespace, log: BootLog) -> str:
    """Verify ``staged`` and return the python of the environment that has it installed."""
    from beam_deps.boot.plan import check_wheels, describe, plan_for

    started = time.perf_counter()
    plan = plan_for(staged)
    for note in plan.notes:
        log.warning(note)
    if plan.empty:
        log.info(f"nothing staged to install; using the worker image's {sys.executable}")
        return sys.executable
    from beam_deps.boot.env_cache import default_cache_dir, ensure_env
    from beam_deps.boot.install import build_env, find_installer

    cache_dir = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    what = describe(plan)
    chosen = []

    # Every worker refuses a staging its machine cannot install, before it touches the
    # cache: a cached environment built elsewhere must not hide an incompatible wheel.
    check_wheels(plan)

    def build(env: Path) -> dict:
        installer = find_installer(args.installer)
        chosen.append(installer.name)
        if plan.from_index:
            log.info(
                f"installing {', '.join(plan.from_index)} from the package index (no staged "
                "wheel); stage with `beam-deps stage --wheelhouse` to make workers independent "
                "of the index"
            )
        log.info(f"installing {what} with {installer.name} into {env}")
        facts = build_env(env, plan, installer, uv_cache=cache_dir / "uv", log=log.info)
        return {"staging_key": plan.staging_key, **facts} if plan.staging_key else facts

    env = ensure_env(cache_dir, plan.key, build, log=log.info, lock_timeout=args.lock_timeout)
    took = time.perf_counter() - started
    # The key is the boot's own (derived from what it verified); the manifest's names the
    # staging, so a worker's log can be matched to the `beam-deps stage` run.
    key = f"key {plan.key[:12]}"
    if plan.staging_key:
        key += f", staging {plan.staging_key[:12]}"
    if env.reused:
        log.info(
            f"reusing cached environment {env.path} ({key}, {plan.source}); ready in {took:.2f}s"
        )
    else:
        log.info(
            f"installed {what} with {chosen[0] if chosen else '?'} into {env.path} ({key}) "
            f"in {took:.2f}s"
        )
    return str(env.python)


# ------------------------------------------------------------------ worker


def _boot_worker(args: argparse.Namespace, log: BootLog) -> int:
    from beam_deps.boot.artifacts import get_provision, retrieve

    provision = None
    try:
        log.info(f"starting: {' '.join(sys.argv)}")
        provision = get_provision(
            args.provision_endpoint,
            args.id,
            timeout=args.connect_timeout,
            fallback={
                "logging": args.logging_endpoint,
                "artifact": args.artifact_endpoint,
                "control": args.control_endpoint,
            },
        )
        log.attach_runner(provision.logging_endpoint)
        if not provision.control_endpoint:
            raise BootError(
                "BD503", "neither the flags nor the provision info name a control endpoint"
            )
        semi = _semi_persist_dir(args)
        staged = semi / "staged"
        started = time.perf_counter()
        names = retrieve(provision, args.id, staged, timeout=args.connect_timeout)
        log.info(
            f"retrieved {len(names)} staged file(s) into {staged} in "
            f"{time.perf_counter() - started:.2f}s"
        )
        python = prepare(staged, args, log)
    except BootError as exc:
        log.error(exc.line())
        log.close(timeout=min(10.0, args.connect_timeout))
        if provision is not None and provision.control_endpoint and args.on_error == "fail-job":
            from beam_deps.boot.refuse import fail_job

            fail_job(
                provision.control_endpoint,
                args.id,
                f"beam-deps-boot refused to start worker {args.id}: {exc.line()}",
                timeout=args.connect_timeout,
            )
        return EXIT_BOOT_FAILED
    environ = harness_environment(provision, args, semi, python)
    log.info(f"executing {python} -m {SDK_HARNESS}")
    log.close(timeout=min(10.0, args.connect_timeout))
    workers = [args.id, *provision.info.sibling_worker_ids]
    if len(workers) == 1:
        _exec([python, "-m", SDK_HARNESS], environ)
    return _run_siblings(python, workers, environ)


def harness_environment(provision, args: argparse.Namespace, semi: Path, python: str) -> dict:
    """The variables Beam's Go boot sets before it starts ``sdk_worker_main``."""
    from google.protobuf import text_format

    from beam_deps.boot.artifacts import beam_api

    endpoints_pb2 = beam_api().endpoints_pb2

    def descriptor(url: str) -> str:
        return text_format.MessageToString(endpoints_pb2.ApiServiceDescriptor(url=url))

    info = provision.info
    env = dict(os.environ)
    env["WORKER_ID"] = args.id
    env["PIPELINE_OPTIONS"] = provision.pipeline_options_json
    env["SEMI_PERSISTENT_DIRECTORY"] = str(semi)
    env["LOGGING_API_SERVICE_DESCRIPTOR"] = descriptor(provision.logging_endpoint)
    env["CONTROL_API_SERVICE_DESCRIPTOR"] = descriptor(provision.control_endpoint)
    env["RUNNER_CAPABILITIES"] = " ".join(info.runner_capabilities)
    if info.HasField("status_endpoint"):
        env["STATUS_API_SERVICE_DESCRIPTOR"] = text_format.MessageToString(info.status_endpoint)
    if "job_name" in info.metadata:
        env["JOB_NAME"] = info.metadata["job_name"]
    if "job_id" in info.metadata:
        env["JOB_ID"] = info.metadata["job_id"]
    if python != sys.executable:
        bin_dir = str(Path(python).parent)
        env["VIRTUAL_ENV"] = str(Path(python).parent.parent)
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


def _exec(command: list[str], environ: dict) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, environ)


def _run_siblings(python: str, workers: list[str], environ: dict) -> int:
    """Dataflow-style sibling workers: one SDK process per id, signals forwarded (as in Go)."""
    procs = [
        subprocess.Popen(
            [python, "-m", SDK_HARNESS], env={**environ, "WORKER_ID": wid}, start_new_session=True
        )
        for wid in workers
    ]

    def forward(signum, _frame):
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    codes = [proc.wait() for proc in procs]
    return next((c for c in codes if c), 0)


# ------------------------------------------------------------------ semi-persistent dir

_OWN_DIRS = "beam-deps-boot"


def _semi_persist_dir(args: argparse.Namespace) -> Path:
    """Honour ``--semi_persist_dir``; otherwise a private dir per boot process.

    A worker pool passes no ``--semi_persist_dir``, and Beam's default ``/tmp`` would make every
    worker of every job on the machine share one ``/tmp/staged``. A private directory (named by
    pid, which the exec keeps for the worker's lifetime) avoids that; directories of boots whose
    process has ended are removed here, so they do not pile up. They live in one directory per
    user under the temp dir, which must be that user's and writable by nobody else (BD505):
    otherwise another user could put files among the staged ones.
    """
    if args.semi_persist_dir:
        path = Path(args.semi_persist_dir)
        path.mkdir(parents=True, exist_ok=True)
        return path
    uid = os.geteuid() if hasattr(os, "geteuid") else 0
    root = Path(tempfile.gettempdir()) / f"{_OWN_DIRS}-{uid}"
    try:
        problem = make_private_dir(root, mode=0o700)
    except OSError as exc:
        raise BootError(
            "BD505", f"cannot create the work directory {root} ({exc.strerror or exc})"
        ) from None
    if problem:
        raise BootError(
            "BD505",
            f"refusing the work directory {root}: {problem}",
            "remove it, or give the boot another temp dir (TMPDIR) or --semi_persist_dir",
        )
    _collect_garbage(root)
    safe_id = re.sub(r"[^A-Za-z0-9_.-]", "_", args.id)[:64]
    path = root / f"{safe_id}-{os.getpid()}"
    path.mkdir(exist_ok=True)
    return path


def _collect_garbage(root: Path) -> None:
    for child in root.iterdir():
        pid = child.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(child, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
