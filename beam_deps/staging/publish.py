"""Putting a finished staging in place of ``--out``, and refusing early when that cannot work.

A new staging is built in a private sibling of ``--out`` (same file system) and swapped in by
one rename, so ``--out`` is at every instant either the complete old or the complete new
staging. What can make that swap fail (a file in the way, a folder that is not ours to replace,
a mount point, an immutable folder, an unwritable parent) is checked before any work, in
``check_out``; what slips through is one ``StagingError`` line with ``--out`` unchanged.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

from beam_deps.processes import pid_alive
from beam_deps.staging.environments import listed_paths
from beam_deps.staging.errors import StagingError
from beam_deps.staging.manifest import MANIFEST_NAME


def check_out(out: Path) -> None:
    """Fail early, before any work, if --out cannot be written or would destroy user data.

    The new staging is built in a sibling of --out and renamed into place: the parent folder
    must be writable, and an existing --out must be a folder that can be renamed away."""
    try:
        if out.exists() and not out.is_dir():
            raise StagingError(f"--out {out} is a file; choose a directory")
        if out.is_dir() and any(out.iterdir()):
            stray = _not_staged(out)
            if stray:
                raise StagingError(
                    f"--out {out} is not empty and is not a beam-deps staging directory "
                    f"({stray}); refusing to replace it: choose a new or empty directory"
                )
        if out.is_dir():
            _check_replaceable(out)
    except OSError as exc:
        raise StagingError(
            f"cannot read --out {out}: {exc.strerror or exc}; choose another directory"
        ) from None
    probe = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if _inode_flags(out.parent):  # new entries might be made, but never removed again
            raise PermissionError(errno.EPERM, "the folder is immutable or append-only")
        probe = tempfile.mkdtemp(prefix=f".{out.name}.probe-", dir=out.parent)
    except OSError as exc:
        raise StagingError(_unwritable(out, exc)) from None
    finally:
        if probe:
            shutil.rmtree(probe, ignore_errors=True)


def _not_staged(out: Path) -> str | None:
    """Why ``out`` is not exactly a previous staging (None when it is): replacing it must never
    delete anything staging did not write. A previous staging holds its manifest and the files
    the manifest lists, nothing else."""
    try:
        data = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
        listed = {a["path"] for a in data.get("artifacts", []) + data.get("sources", [])}
        listed |= listed_paths(data, out)
    except FileNotFoundError:
        return f"no {MANIFEST_NAME}"
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError):
        return f"its {MANIFEST_NAME} is not one beam-deps wrote"
    listed.add(MANIFEST_NAME)
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if (path.is_symlink() or not path.is_dir()) and rel not in listed:
            return f"{rel} is not part of the staging its {MANIFEST_NAME} describes"
    return None


def _check_replaceable(out: Path) -> None:
    """Staging puts a new --out in place by renaming: a mount point or a folder marked
    immutable or append-only (``chattr +i``/``+a``) cannot be renamed."""
    if _mount_point(out):
        raise StagingError(
            f"cannot replace --out {out}: it is a mount point, and staging puts the new --out "
            f"in place by renaming it; choose a folder inside it (e.g. --out {out / 'staging'})"
        )
    flags = _inode_flags(out)
    if flags:
        what, letter = ("immutable", "i") if flags & _IMMUTABLE else ("append-only", "a")
        raise StagingError(
            f"cannot replace --out {out}: it is {what} (chattr +{letter}), and staging puts "
            f"the new --out in place by renaming it; run `chattr -{letter} {out}` or choose "
            "another --out"
        )


def _mount_point(path: Path) -> bool:
    """Whether ``path`` itself (not what a symlink points at) is a mount point. A bind mount
    of a folder of the same file system escapes ``os.path.ismount``; Linux's mount table (of
    this process's mount namespace) lists it."""
    if os.path.ismount(path):
        return True
    try:
        table = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    target = os.path.join(os.path.realpath(path.parent), path.name)
    for line in table.splitlines():
        fields = line.split(" ")  # the 5th is the mount point, with octal escapes (\040)
        if len(fields) > 4:
            mount = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[4])
            if mount == target:
                return True
    return False


def _unwritable(out: Path, exc: OSError) -> str:
    """One line on why nothing can be created next to ``out``. The culprit is the parent
    folder (or the nearest one that exists), not ``out``: that is where the new staging is
    built before it is renamed into place."""
    folder = next((p for p in out.parents if os.path.lexists(p)), out.parent)
    if not folder.is_dir():
        return f"cannot write --out {out}: {folder} is a file, not a folder; choose another --out"
    if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write --out {out}: {exc.strerror or exc}; choose a writable directory"
    what = "its parent folder" if folder == out.parent else f"{out.parent} cannot be created:"
    return (
        f"cannot write --out {out}: {what} {folder} is not writable ({exc.strerror or exc}); "
        "staging builds the new --out next to it and renames it into place, so that folder "
        "must be writable: make it writable or choose an --out in a writable folder"
    )


def make_tmp(out: Path, purpose: str = "") -> Path:
    """A private sibling of ``out`` (same file system, so the final rename is atomic). Its name
    carries our pid, so leftovers of a killed stage can be recognised and removed later."""
    _remove_stale_temps(out)
    try:
        prefix = f".{out.name}.tmp-{os.getpid()}_{purpose}"
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=out.parent))
    except OSError as exc:
        raise StagingError(_unwritable(out, exc)) from None
    return tmp


def _remove_stale_temps(out: Path) -> None:
    """Remove temporary siblings left by a stage that was killed (its process is gone)."""
    prefix = f".{out.name}.tmp-"
    with contextlib.suppress(OSError):
        for entry in out.parent.iterdir():
            if not entry.name.startswith(prefix) or not entry.is_dir():
                continue
            pid = entry.name[len(prefix) :].split("_", 1)[0]
            if pid.isdigit() and not pid_alive(int(pid)):
                shutil.rmtree(entry, ignore_errors=True)


def fix_permissions(root: Path) -> None:
    root.chmod(0o755)
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def publish(tmp: Path, out: Path) -> None:
    """Put ``tmp`` in place of ``out``. On Linux the two directories are exchanged in one
    atomic ``renameat2(RENAME_EXCHANGE)``: at every instant ``out`` is either the complete old
    or the complete new staging. Elsewhere, two renames; on failure the old ``out`` is put
    back. Afterwards ``tmp`` holds the old contents and the caller removes it. A failure is
    a ``StagingError`` and leaves ``out`` as it was."""
    old = None
    existed = out.exists()
    try:
        if existed and _exchange(tmp, out):
            return
        if existed:
            old = out.with_name(f".{out.name}.old-{uuid.uuid4().hex[:8]}")
            os.replace(out, old)
        try:
            os.replace(tmp, out)
        except BaseException:
            if old is not None:
                _put_back(old, out)
            raise
    except OSError as exc:
        raise StagingError(_replace_problem(out, exc, existed)) from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _put_back(old: Path, out: Path) -> None:
    try:
        os.replace(old, out)
    except OSError as exc:
        raise StagingError(
            f"cannot put the previous --out back after a failed replace ({exc.strerror or exc}): "
            f"it is intact in {old}; rename it to {out}"
        ) from None


def write_problem(out: Path, exc: OSError) -> str:
    """One line for a failure while the new staging was written next to ``out``."""
    why = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = f"free space in {out.parent} or choose an --out on another disk"
    else:
        hint = "make that folder writable or choose another --out"
    return f"cannot write the staging next to --out {out}: {why}; {out} is unchanged: {hint}"


def _replace_problem(out: Path, exc: OSError, existed: bool) -> str:
    why = exc.strerror or str(exc)
    if not existed:
        return f"cannot write --out {out}: {why}; choose a writable directory"
    if exc.errno == errno.EBUSY:
        hint = (
            "it is a mount point or in use: choose a folder inside it "
            f"(e.g. --out {out / 'staging'})"
        )
    elif exc.errno in (errno.EPERM, errno.EACCES):
        hint = (
            "it cannot be renamed (immutable or append-only, or another user's folder in a "
            "sticky folder such as /tmp): lift the restriction or choose another --out"
        )
    else:
        hint = "choose another --out"
    return f"cannot replace --out {out}: {why}; {out} is unchanged: {hint}"


def _exchange(a: Path, b: Path) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0


_IMMUTABLE, _APPEND_ONLY = 0x10, 0x20  # FS_IMMUTABLE_FL, FS_APPEND_FL (linux/fs.h)


def _inode_flags(path: Path) -> int:
    """Whether ``path`` is immutable or append-only (Linux ``chattr +i``/``+a``): then even
    root cannot rename it or remove entries from it. 0 when unknown or elsewhere."""
    if not sys.platform.startswith("linux"):
        return 0
    import array
    import fcntl
    import struct

    get_flags = 0x80006601 | (struct.calcsize("l") << 16)  # FS_IOC_GETFLAGS: _IOR('f', 1, long)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return 0
    try:
        flags = array.array("i", [0])  # the kernel writes an int
        fcntl.ioctl(fd, get_flags, flags)
    except OSError:
        return 0
    finally:
        os.close(fd)
    return flags[0] & (_IMMUTABLE | _APPEND_ONLY)
