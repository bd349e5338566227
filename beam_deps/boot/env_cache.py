"""Worker environments cached per environment key, built once per machine.

Layout under the cache directory (``--cache-dir``, else ``envs/`` under beam-deps' cache root:
``$BEAM_DEPS_CACHE_DIR/envs``, ``$XDG_CACHE_HOME/beam-deps/envs`` or ``~/.cache/beam-deps/envs``,
see `beam_deps.cache_dirs`)::

    <key>/                 a virtualenv layered over the worker image (see `write_layer`)
    <key>/.beam-deps-complete   written LAST; an env without it is half-built and is redone
    <key>.lock             the file lock a worker takes before building; removed once the env
                           is complete (see `ensure_env`), so only unfinished envs have one
    uv/                    uv's own cache, kept beside the envs so installs can hardlink

Why a layered venv and not ``--system-site-packages``: a venv's "system" site is the *base*
interpreter's, so on an image whose apache-beam lives in a virtualenv (common in custom
containers) ``--system-site-packages`` would hide it. A ``.pth`` file that calls
``site.addsitedir`` on the image interpreter's own site directories gives the same layering on
both kinds of image: staged packages first, then everything the image has.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import site
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from beam_deps.boot.errors import BootError
from beam_deps.cache_dirs import cache_home, make_private_dir

COMPLETE = ".beam-deps-complete"
LAYER_PTH = "_beam_deps_worker_image.pth"


def default_cache_dir() -> Path:
    """``envs/`` under the cache root the staging cache shares (its entries are in ``stage/``)."""
    return cache_home() / "envs"


def image_fingerprint() -> str:
    """The worker image this env layers over: a new image (other Beam, other Python) must not
    reuse an env built for the old one."""
    return f"{os.path.realpath(sys.executable)}|{sys.version}|apache-beam=={_beam_version()}"


def _beam_version() -> str:
    """Read from ``apache_beam/version.py`` without importing Beam (seconds) or scanning
    every distribution's metadata (tens of ms on each warm boot)."""
    import importlib.util
    import re

    try:
        spec = importlib.util.find_spec("apache_beam")
        text = Path(spec.origin).with_name("version.py").read_text(encoding="utf-8")
        return re.search(r"__version__\s*=\s*['\"]([^'\"]+)", text).group(1)
    except Exception:
        return "unknown"


def env_dir_name(environment_key: str) -> str:
    return hashlib.sha256(f"{environment_key}|{image_fingerprint()}".encode()).hexdigest()[:32]


@dataclass
class CachedEnv:
    path: Path
    reused: bool
    seconds: float

    @property
    def python(self) -> Path:
        return python_of(self.path)


def python_of(env: Path) -> Path:
    if os.name == "nt":  # pragma: no cover - workers are Linux
        return env / "Scripts" / "python.exe"
    return env / "bin" / "python"


def site_packages_of(env: Path) -> Path:
    if os.name == "nt":  # pragma: no cover
        return env / "Lib" / "site-packages"
    return (
        env / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    )


def is_complete(env: Path) -> bool:
    return (env / COMPLETE).is_file() and python_of(env).exists()


def ensure_env(
    cache_dir: Path,
    environment_key: str,
    build: Callable[[Path], dict],
    *,
    log: Callable[[str], None],
    lock_timeout: float | None = None,
) -> CachedEnv:
    """Return the env for ``environment_key``, building it with ``build(path)`` if needed.

    Several workers may call this at once: the first takes the lock and builds, the others wait
    and then find the completion marker. A directory without the marker is what a killed
    worker leaves behind; it is removed and built again. ``build`` returns facts for the marker.

    Whoever holds the lock and sees the env complete removes the lock file before releasing
    it, so finished envs leave no ``*.lock`` behind. Removing a lock file usually breaks a
    lock (a waiter on the old inode and a newcomer on a new file can both "hold" it), but not
    here: the file goes only once the env is complete, a complete env is never written again,
    and every holder checks for completion before building, so whichever lock a late waiter
    ends up with, it finds the marker and returns without writing. An unfinished env (being
    built, or left half-built by a killed worker) keeps its lock file.
    """
    start = time.perf_counter()
    trusted_cache_dir(Path(cache_dir))
    env = Path(cache_dir) / env_dir_name(environment_key)
    if is_complete(env):  # fast path, no lock: a complete env is never modified again
        return CachedEnv(env, True, time.perf_counter() - start)
    _write_test(Path(cache_dir))
    lock_path = Path(str(env) + ".lock")
    with _locked(lock_path, log=log, timeout=lock_timeout):
        if is_complete(env):
            _remove_lock_file(lock_path)
            return CachedEnv(env, True, time.perf_counter() - start)
        if env.exists():
            log(
                f"found a half-built environment at {env} (a worker stopped while installing); "
                "building it again"
            )
            shutil.rmtree(env, ignore_errors=True)
        try:
            facts = build(env)
            facts = {"environment_key": environment_key, **facts, "built_at": time.time()}
            tmp = env / (COMPLETE + ".tmp")
            tmp.write_text(json.dumps(facts, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(tmp, env / COMPLETE)
        except OSError as exc:  # disk full, permissions changed under us...
            shutil.rmtree(env, ignore_errors=True)
            raise BootError(
                "BD505", f"writing the environment {env} failed ({exc.strerror or exc})"
            ) from None
        except BaseException:
            shutil.rmtree(env, ignore_errors=True)
            raise
        _remove_lock_file(lock_path)
    return CachedEnv(env, False, time.perf_counter() - start)


def _remove_lock_file(lock_path: Path) -> None:
    """Called only while holding the lock of a complete env (see `ensure_env`)."""
    try:
        lock_path.unlink()
    except OSError:  # already gone, or a read-only cache prepared elsewhere: only tidiness lost
        pass


def trusted_cache_dir(cache_dir: Path) -> None:
    """Create the cache if missing; refuse one that another user could have written into
    (BD505): every environment in it is run without being verified again."""
    try:
        problem = make_private_dir(cache_dir)
    except OSError as exc:
        raise BootError(
            "BD505",
            f"cannot write the environment cache {cache_dir} ({exc.strerror or exc})",
        ) from None
    if problem:
        raise BootError(
            "BD505",
            f"refusing the environment cache {cache_dir}: {problem}, so environments in it "
            "may not be the ones this worker built",
            "use a cache directory only the worker's user can write (remove this one, or "
            "set --cache-dir / BEAM_DEPS_CACHE_DIR)",
        )


def _write_test(cache_dir: Path) -> None:
    try:
        probe = cache_dir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise BootError(
            "BD505",
            f"cannot write the environment cache {cache_dir} ({exc.strerror or exc})",
        ) from None


@contextmanager
def _locked(path: Path, *, log: Callable[[str], None], timeout: float | None) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log(f"another worker is building this environment; waiting for {path}")
        try:
            lock.acquire(timeout=-1 if timeout is None else timeout)
        except Timeout:
            raise BootError(
                "BD505",
                f"gave up waiting {timeout:.0f}s for the environment lock {path}",
                "remove the lock file if no worker is installing, or raise --lock-timeout",
            ) from None
    except OSError as exc:
        raise BootError("BD505", f"cannot create the lock file {path} ({exc})") from None
    try:
        yield
    finally:
        lock.release()


def image_site_dirs() -> list[str]:
    """The worker image's site directories, in the order this interpreter searches them."""
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    seen: list[str] = []
    for d in dirs:
        if os.path.isdir(d) and d not in seen:
            seen.append(d)
    return seen


def write_layer(env: Path) -> Path:
    """Make the image's packages visible in ``env`` after its own (staged ones win)."""
    pth = site_packages_of(env) / LAYER_PTH
    lines = [f"import site; site.addsitedir({d!r})" for d in image_site_dirs()]
    pth.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return pth
