"""What a part *is*, in Beam terms: which diagnostic it deserves and what to say about it.

Two questions, one place: for a part that failed to pickle, which code explains it best
(a socket is BD106, not a generic BD101); for a part that pickled, whether it will still
misbehave on a worker (a lock arrives as a new lock, a file as a snapshot of its content).
"""

from __future__ import annotations

import io
import os
import queue
import re
import socket
import sqlite3
import sys
import threading
import types
from concurrent import futures
from dataclasses import dataclass
from typing import Any

from beam_deps.diagnostics import Severity
from beam_deps.pickling.graph import class_qualname, safe_type_name

LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))
SYNC_TYPES = (threading.Condition, threading.Event, threading.Semaphore, threading.Barrier)
QUEUE_TYPES = (queue.Queue, queue.SimpleQueue)
ITERATOR_TYPE_NAMES = frozenset(
    {
        "list_iterator",
        "list_reverseiterator",
        "tuple_iterator",
        "range_iterator",
        "longrange_iterator",
        "str_ascii_iterator",
        "str_iterator",
        "set_iterator",
        "bytes_iterator",
        "dict_keyiterator",
        "dict_valueiterator",
        "dict_itemiterator",
        "enumerate",
        "zip",
        "map",
        "filter",
        "reversed",
        "iterator",
        "callable_iterator",
    }
)
LARGE_PAYLOAD_BYTES = int(os.environ.get("BEAM_DEPS_LARGE_PAYLOAD", 1_000_000))

_SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSW|PWD|CREDENTIAL|AUTH|PRIVATE", re.I)
_SECRET_SHAPES = re.compile(
    "|".join(
        (
            r"AKIA[0-9A-Z]{16}",
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
            r"gh[pousr]_[A-Za-z0-9]{36}",
            r"github_pat_[A-Za-z0-9_]{22,}",
            r"AIza[0-9A-Za-z_\-]{35}",
            r"xox[abprs]-[A-Za-z0-9-]{10,}",
            r"sk-[A-Za-z0-9_\-]{20,}",
            r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        )
    )
)


@dataclass(frozen=True)
class Hazard:
    code: str
    severity: Severity | None
    message: str


def _is_connection(obj: Any) -> bool:
    if isinstance(obj, socket.socket | sqlite3.Connection | sqlite3.Cursor):
        return True
    try:
        import ssl

        if isinstance(obj, ssl.SSLContext | ssl.SSLObject):
            return True
    except ImportError:  # pragma: no cover - ssl is optional in CPython builds
        pass
    cls = type(obj)
    # DB-API 2.0 connections and cursors, by shape: what every driver implements.
    has = {
        name
        for name in ("cursor", "commit", "rollback", "execute", "fetchone")
        if callable(getattr(cls, name, None))
    }
    return {"cursor", "commit", "rollback"} <= has or {"execute", "fetchone"} <= has


def _is_thread_or_pool(obj: Any) -> bool:
    if isinstance(obj, threading.Thread | futures.Executor):
        return True
    module = type(obj).__module__ or ""
    return module.startswith("multiprocessing") and safe_type_name(obj) in ("Process", "Pool")


def _is_mp_queue(obj: Any) -> bool:
    module = type(obj).__module__ or ""
    return module.startswith("multiprocessing") and "Queue" in safe_type_name(obj)


def _file_mode(obj: Any) -> str:
    mode = getattr(obj, "mode", "")
    return mode if isinstance(mode, str) else ""


def qualified_type_name(obj: Any) -> str:
    module = type(obj).__module__
    name = safe_type_name(obj)
    if not isinstance(module, str) or module in ("builtins", "__main__"):
        return name
    return f"{module.lstrip('_')}.{name}"


def is_resource(obj: Any) -> bool:
    """Objects to report as a whole rather than bisect into (their insides mean nothing)."""
    return (
        isinstance(obj, io.IOBase | types.GeneratorType)
        or _is_connection(obj)
        or _is_thread_or_pool(obj)
        or _is_mp_queue(obj)
    )


def describe_failure(obj: Any, error: BaseException) -> Hazard:
    """The diagnostic for a part that could not be pickled."""
    name = qualified_type_name(obj)
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if isinstance(obj, types.GeneratorType | types.AsyncGeneratorType | types.CoroutineType):
        return Hazard("BD103", Severity.ERROR, f"a generator cannot be pickled ({reason})")
    if _is_connection(obj):
        return Hazard("BD106", Severity.ERROR, f"{name} cannot be pickled ({reason})")
    if _is_thread_or_pool(obj):
        return Hazard("BD107", Severity.ERROR, f"{name} cannot be pickled ({reason})")
    if _is_mp_queue(obj) or isinstance(obj, QUEUE_TYPES):
        return Hazard("BD108", Severity.ERROR, f"{name} cannot be pickled ({reason})")
    if isinstance(obj, io.IOBase):
        mode = _file_mode(obj) or "?"
        state = "closed" if getattr(obj, "closed", False) is True else f"mode {mode!r}"
        return Hazard(
            "BD105", Severity.ERROR, f"open file {name} ({state}) cannot be pickled ({reason})"
        )
    if "not the same object as" in reason:
        return Hazard("BD303", Severity.ERROR, f"{name} cannot be pickled by reference ({reason})")
    return Hazard("BD101", None, f"{name} cannot be pickled ({reason})")


def describe_pickled(obj: Any, library: str = "cloudpickle") -> Hazard | None:
    """A hazard for a part that pickled but will not behave the same on a worker, if any."""
    if isinstance(obj, LOCK_TYPES):
        return Hazard("BD104", None, f"{safe_type_name(obj)} is recreated as a new, unlocked lock")
    if isinstance(obj, SYNC_TYPES):
        return Hazard(
            "BD104", None, f"threading.{type(obj).__name__} is recreated, unrelated to this one"
        )
    if isinstance(obj, QUEUE_TYPES):
        return Hazard(
            "BD108", None, f"{safe_type_name(obj)} arrives as a copy; workers do not share it"
        )
    if _is_pipeline_object(obj):
        return Hazard(
            "BD111",
            None,
            f"a {type(obj).__name__} is captured; on the worker it is only a placeholder",
        )
    if _is_real_file(obj):
        name = getattr(obj, "name", "?")
        if library == "cloudpickle":
            return Hazard("BD105", None, f"file {name!s} is pickled by content (a snapshot)")
        return Hazard(
            "BD105",
            None,
            f"file {name!s} is reopened by path on the worker, where it may not exist",
        )
    if isinstance(obj, threading.Thread):
        return Hazard("BD107", Severity.WARNING, "a Thread pickles as a thread that never runs")
    if type(obj).__name__ in ITERATOR_TYPE_NAMES and type(obj).__module__ == "builtins":
        return Hazard(
            "BD103",
            Severity.WARNING,
            f"{type(obj).__name__} pickles as a snapshot of its position; each worker gets a copy",
        )
    return None


def _is_real_file(obj: Any) -> bool:
    """An OS-level file (not an in-memory buffer, not the process's standard streams, which
    Beam's cloudpickle pickles by reference to ``sys``)."""
    if not isinstance(obj, _FILE_TYPES):
        return False
    return not any(
        obj is stream
        for stream in (
            sys.stdin,
            sys.stdout,
            sys.stderr,
            sys.__stdin__,
            sys.__stdout__,
            sys.__stderr__,
        )
    )


_FILE_TYPES = (
    io.FileIO,
    io.BufferedReader,
    io.BufferedWriter,
    io.BufferedRandom,
    io.TextIOWrapper,
)


def _is_pipeline_object(obj: Any) -> bool:
    module = type(obj).__module__ or ""
    if not module.startswith("apache_beam."):
        return False
    from apache_beam import pipeline, pvalue

    return isinstance(obj, pipeline.Pipeline | pvalue.PValue)


def describe_class(cls: type, by_value: bool) -> Hazard | None:
    """Classes that travel by value: nested ones and ones defined in the script."""
    if not by_value:
        return None
    qualname = class_qualname(cls)
    if "<locals>" in qualname:
        return Hazard("BD301", None, f"class {qualname} is defined inside a function")
    if cls.__module__ == "__main__":
        return Hazard("BD304", None, f"class {qualname} from your script travels by value")
    return None


class SecretDetector:
    """Strings equal to secret-named environment values, or shaped like known credentials."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.env_values = {
            value: name
            for name, value in env.items()
            if _SECRET_NAME.search(name) and len(value) >= 8
        }

    def check(self, value: str) -> str | None:
        if len(value) < 8:
            return None
        name = self.env_values.get(value)
        if name is not None:
            return f"the value of environment variable {name}"
        if len(value) >= 20:
            match = _SECRET_SHAPES.search(value)
            if match:
                return f"a string shaped like a credential ({match.group(0)[:8]}...)"
        return None


_detector_cache: tuple[int, SecretDetector] | None = None


def secret_detector() -> SecretDetector:
    """A detector for the current environment, rebuilt only when the environment changes."""
    global _detector_cache
    key = hash(frozenset(os.environ._data.items())) if hasattr(os.environ, "_data") else 0
    if _detector_cache is None or _detector_cache[0] != key or key == 0:
        _detector_cache = (key, SecretDetector())
    return _detector_cache[1]
