"""Where beam-deps keeps its caches: one root, one sub-folder per kind of cache.

The staging cache and the workers' environment cache used to find their root each on their
own and disagreed on the layout when ``BEAM_DEPS_CACHE_DIR`` was set. With one root, setting
the variable (or ``XDG_CACHE_HOME``) moves every cache the same way, and each kind lives in its
own folder, so clearing one never touches the other::

    <cache_home()>/stage/   finished staging directories (``beam_deps.staging.cache``)
    <cache_home()>/envs/    worker environments (``beam_deps.boot.env_cache``)
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

CACHE_ENV = "BEAM_DEPS_CACHE_DIR"


def cache_home() -> Path:
    """``$BEAM_DEPS_CACHE_DIR``, else ``$XDG_CACHE_HOME/beam-deps``, else ``~/.cache/beam-deps``.

    Read on every call, not at import: tests and the boot set the variables per process.
    """
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "beam-deps"


def owner_problem(path: Path) -> str | None:
    """Why the existing directory ``path`` must not hold what beam-deps trusts, or None.

    Everything a cache or work directory holds is installed or run later without being
    verified again, so only its owner may write there: it must be owned by the current user
    (or by root, who can replace anything anyway) and not writable by group or others, and no
    directory above it may belong to another user (who could rename it and put another in its
    place). A writable directory above it is accepted (``/tmp``, a container's volume).
    ``os.stat`` follows a symlink, so a link is judged by the directory it points to.
    """
    if os.name == "nt":  # pragma: no cover - no POSIX owners; workers are Linux
        return None
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        return f"{path} is not a directory"
    me = os.geteuid()
    if st.st_uid not in (me, 0):
        return f"{path} is owned by {_user(st.st_uid)}, not by {_user(me)} who runs this"
    for parent in Path(os.path.realpath(path)).parents:  # its owner could replace `path`
        owner = os.stat(parent).st_uid
        if owner not in (me, 0):
            return f"{path} is inside {parent}, which {_user(owner)} owns, not {_user(me)}"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return (
            f"{path} is writable by {'others' if st.st_mode & stat.S_IWOTH else 'its group'} "
            f"(mode {stat.S_IMODE(st.st_mode):o})"
        )
    return None


def make_private_dir(path: Path, mode: int = 0o755) -> str | None:
    """Create ``path`` (and its parents) if missing, with ``mode`` (a umask only removes
    bits, so never group/other-writable); then return `owner_problem` for it, so a directory
    someone else made first is judged like any other. ``OSError`` from creating it propagates.
    """
    path = Path(path)
    path.mkdir(mode=mode & ~(stat.S_IWGRP | stat.S_IWOTH), parents=True, exist_ok=True)
    return owner_problem(path)


def _user(uid: int) -> str:
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"
