"""Is the process that left a directory behind still running?

Staging (``.OUT.tmp-PID_*`` siblings of ``--out``) and the boot (``<worker>-PID`` work
directories) both name their temporary directories after their pid and remove those whose
process is gone. They used to ask with two helpers that disagreed on errors; this is the one
answer. It errs towards "alive": a wrong "alive" leaves a directory for a later run to remove,
a wrong "dead" deletes the working files of a running process. Standard library only (the
boot imports it before anything is installed).
"""

from __future__ import annotations

import os


def pid_alive(pid: int) -> bool:
    """True unless process ``pid`` certainly does not exist.

    ``os.kill(pid, 0)`` sends nothing on POSIX: ``ProcessLookupError`` means no such process,
    ``PermissionError`` a process of another user (alive). A pid no process can have (zero,
    negative, beyond the C ``pid_t``) is not alive; ``os.kill`` would signal a process group
    for those, or raise ``OverflowError``. On Windows ``os.kill`` *terminates* the process, so
    the process table is asked instead.
    """
    if pid <= 0 or pid > 0x7FFFFFFF:
        return False
    if os.name == "nt":  # pragma: no cover - workers and CI are Linux
        return _windows_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, it is not ours; anything else: do not guess "dead"
        return True
    return True


def _windows_alive(pid: int) -> bool:  # pragma: no cover - exercised on Windows only
    try:
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.GetLastError() == 5  # ERROR_ACCESS_DENIED: exists, not ours
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    except Exception:
        return True
