"""What a part *is*, in Beam terms: which diagnostic it deserves and what to say about it.

Two questions, one place: for a part that failed to pickle, which code explains it best
(a socket is BD106, not a generic BD101); for a part that pickled, whether it will still
misbehave on a worker (a lock arrives as a new lock, a file as a snapshot of its content).
"""

from __future__ import annotations

import dataclasses
import enum
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

_RLOCK = type(threading.RLock())
LOCK_TYPES = (type(threading.Lock()), _RLOCK)
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
# Credentials that start with a known word, shown as that word only. Each is (a substring to
# look for first, much cheaper than one more alternative in the pattern above; the pattern,
# whose group 1 is the word and group 2 the secret).
_PREFIXED_SHAPES = (
    # Stripe secret and restricted keys
    ("k_live_", re.compile(r"(?<![A-Za-z0-9_])([sr]k_live_)([A-Za-z0-9]{24,})")),
    ("k_test_", re.compile(r"(?<![A-Za-z0-9_])([sr]k_test_)([A-Za-z0-9]{24,})")),
    # an HTTP Authorization header's value (RFC 6750 token characters)
    ("earer ", re.compile(r"(?<![A-Za-z0-9])([Bb]earer )([A-Za-z0-9\-._~+/]{20,}=*)")),
)
# Names that say their value is a secret: a module global (``DB_PASSWORD``, ``API_KEY``), a
# dict key or an attribute (``password``, ``apiKey``, ``X-Api-Key``), matched once camelCase
# and dashes became snake_case. ``TOKENIZER``, ``PASSWORD_MIN_LENGTH`` or ``max_tokens`` are
# not such names.
_SECRET_VALUE_NAME = re.compile(
    r"(?:\w*_)?(?:password|passwd|passphrase|secret|token|api_?key|secret_?key"
    r"|access_?key|private_?key)"
    r"|\w+_pwd"
)
# ... but these name a token that is not a credential: pagination, and a tokenizer's own
# special tokens (``eos_token = "</s>"``).
_NOT_SECRET_NAME = re.compile(
    r"(?:\w*_)?(?:page|next_page|continuation|resume|sync|cursor)_token"
    r"|(?:\w*_)?(?:eos|bos|pad|unk|sep|cls|mask|start|end|special)_token"
)
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Values that stand for a secret instead of being one: ``<password>``, ``${DB_PASSWORD}``,
# ``{{ secrets.token }}``, ``%(password)s``, ``$TOKEN``, ``[MASK]``, ``<|endoftext|>``.
_PLACEHOLDER = re.compile(
    r"<.*>|\$\{.*\}|\{\{.*\}\}|%\(\w*\)s|\$[A-Z_][A-Z0-9_]*|%[A-Z_][A-Z0-9_]*%|\[.*\]|\{\w*\}",
    re.S,
)
_PLACEHOLDER_WORDS = (
    "changeme",
    "change_me",
    "change-me",
    "replace_me",
    "replace-me",
    "placeholder",
    "example",
    "dummy",
    "redacted",
    "your_",
    "your-",
    "yourpass",
    "yourtoken",
    "yourkey",
    "xxxx",
    "****",
    "....",
)
# Not the secret but where it is kept: a Secret Manager name, an ARN, a URL, a file path.
_SECRET_REFERENCE = re.compile(r"projects/|arn:|[A-Za-z][A-Za-z0-9+.-]*://|[/~.]{1,2}/|/")
MIN_NAMED_SECRET_LENGTH = 8


def is_secret_name(name: str) -> bool:
    """Whether a global, key or attribute named ``name`` holds a secret, by its name alone."""
    normal = _CAMEL_BOUNDARY.sub("_", name).lower().replace("-", "_")
    return bool(_SECRET_VALUE_NAME.fullmatch(normal)) and not _NOT_SECRET_NAME.fullmatch(normal)


def looks_like_secret_value(value: str) -> bool:
    """A non-empty, non-placeholder value under a secret's name: ``hunter2hunter2``, not
    ``changeme``, ``xxx``, ``<password>``, ``${VAR}`` or ``projects/p/secrets/db/versions/1``."""
    if len(value) < MIN_NAMED_SECRET_LENGTH or len(value) > 10_000:
        return False
    if any(c.isspace() for c in value) or len(set(value)) < 4:
        return False
    if _PLACEHOLDER.fullmatch(value) or _SECRET_REFERENCE.match(value):
        return False
    return not _has_placeholder_word(value) and value.lower() not in (
        "password",
        "passw0rd",
        "password1",
        "secret",
        "notasecret",
        "undefined",
    )


@dataclass(frozen=True)
class Hazard:
    code: str
    severity: Severity | None
    message: str
    # an error where code that runs on the worker uses the object holding it (a warning
    # elsewhere): the caller knows the path, and who reads it (``walk.attribute_reader``)
    fails_where_used: bool = False


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


def failure_reason(error: BaseException) -> str:
    """The first line of a pickling error, for a message."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def describe_failure(obj: Any, error: BaseException) -> Hazard:
    """The diagnostic for a part that could not be pickled."""
    name = qualified_type_name(obj)
    reason = failure_reason(error)
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
        return Hazard(
            "BD303",
            Severity.ERROR,
            f"{name} cannot be pickled, so Beam cannot submit the pipeline: {reason} (its "
            "class was re-created after this object was made)",
        )
    return Hazard("BD101", None, f"{name} cannot be pickled ({reason})")


def resource_kind(obj: Any) -> str | None:
    """What makes an object holding ``obj`` a client: its connections, locks and threads."""
    if _is_connection(obj):
        return "a socket or connection"
    if isinstance(obj, LOCK_TYPES + SYNC_TYPES):
        return "a lock"
    if _is_thread_or_pool(obj):
        return "a thread or executor"
    return None


_RESOURCE_ORDER = ("a socket or connection", "a lock", "a thread or executor")


def describe_library_failure(
    obj: Any,
    failing: list[tuple[str, Any, BaseException]],
    resources: list[str],
) -> Hazard:
    """One diagnostic for a library's object that fails somewhere inside.

    ``failing`` holds (path inside the object, culprit, error) per part that fails. The
    object's internals are not the user's to change, so the object is named once, as the
    user's code captured it: a client (it holds ``resources``: sockets, locks, threads) is
    BD106, anything else BD101.
    """
    name = qualified_type_name(obj)
    inner, leaf, error = failing[0]
    leaf_name = qualified_type_name(leaf)
    article = "an" if leaf_name[:1].lower() in "aeiou" else "a"
    detail = f"inside it, {inner.strip()} is {article} {leaf_name} ({failure_reason(error)})"
    others = [path.strip() for path, _, _ in failing[1:]]
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        detail += f"; {shown} {'fails' if len(others) == 1 else 'fail'} too"
    if resources:
        held = [kind for kind in _RESOURCE_ORDER if kind in resources]
        return Hazard(
            "BD106",
            Severity.ERROR,
            f"{name} cannot be pickled: it is a client (it holds {' and '.join(held)}); " + detail,
        )
    return Hazard("BD101", Severity.ERROR, f"{name} cannot be pickled: {detail}")


def describe_pickled(obj: Any, library: str = "cloudpickle") -> Hazard | None:
    """A hazard for a part that pickled but will not behave the same on a worker, if any."""
    if isinstance(obj, _RLOCK) and library.startswith("dill"):
        # dill's _create_rlock restores (count=0, owner=0) with _acquire_restore: the lock is
        # taken by no thread, and every acquire() waits for ever (dill 0.3.1.1 to 0.4.x)
        return Hazard(
            "BD104",
            None,
            f"{safe_type_name(obj)} is rebuilt by dill as taken by no thread: the first "
            f"acquire() on the worker waits for ever and the job hangs",
            fails_where_used=True,
        )
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
    if is_real_file(obj):
        name = getattr(obj, "name", "?")
        if library == "cloudpickle":
            return Hazard("BD105", None, f"file {name!s} is pickled by content (a snapshot)")
        # dill pickles the handle as (name, mode, position) and reopens it by name; where
        # the name is missing it silently opens an empty temporary file (strictio is off),
        # so the DoFn reads nothing and nothing fails (proven on isolated workers in
        # tests/test_accuracy_elements.py).
        if isinstance(name, str) and not os.path.isabs(name):
            return Hazard(
                "BD105",
                Severity.ERROR,
                f"file {name!s} is reopened by its relative path in the worker's working "
                "folder, which is not yours: dill finds no file there and silently gives an "
                "empty one, so the DoFn reads nothing",
            )
        return Hazard(
            "BD105",
            None,
            f"file {name!s} is reopened by path on the worker; on another machine the path "
            "does not exist and dill silently gives an empty file (no error)",
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


def is_real_file(obj: Any) -> bool:
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


_BEAM_CALLABLE_BASES = ("DoFn", "CombineFn", "PTransform", "WindowFn", "Coder")


def beam_base_name(cls: type) -> str | None:
    """The Beam class (DoFn, CombineFn, PTransform, WindowFn, Coder) ``cls`` derives from:
    its instances carry user code, they are never elements."""
    for base in cls.__mro__[1:]:
        if base.__module__.startswith("apache_beam.") and base.__name__ in _BEAM_CALLABLE_BASES:
            return base.__name__
    return None


def identity_sensitive(cls: type) -> bool:
    """Types users compare by identity or equality across payloads."""
    return (
        issubclass(cls, enum.Enum)
        or dataclasses.is_dataclass(cls)
        or (issubclass(cls, tuple) and hasattr(cls, "_fields"))
    )


def describe_class(cls: type, by_value: bool, library: str = "cloudpickle") -> Hazard | None:
    """Classes that travel by value: nested ones and ones defined in the script. Under dill
    a NamedTuple is the exception: dill saves its name and fields only (its methods,
    properties and class attributes stay behind: BD312)."""
    if not by_value:
        return None
    qualname = class_qualname(cls)
    if "<locals>" in qualname:
        if beam_base_name(cls) is not None:
            # A DoFn/CombineFn defined in run(): its instances are never compared or
            # encoded as elements, so a by-value copy per payload is harmless.
            return Hazard(
                "BD301",
                Severity.INFO,
                f"class {qualname} is defined inside a function (fine for a "
                f"{beam_base_name(cls)}: it travels by value)",
            )
        return Hazard("BD301", None, f"class {qualname} is defined inside a function")
    if cls.__module__ == "__main__":
        if library.startswith("dill") and issubclass(cls, tuple) and hasattr(cls, "_fields"):
            return Hazard(
                "BD304",
                None,
                f"NamedTuple {qualname} from your script travels by its name and fields "
                f"({library} rebuilds it without its methods, properties and class "
                f"attributes)",
            )
        return Hazard("BD304", None, f"class {qualname} from your script travels by value")
    return None


_PLACE_VARIABLES = frozenset({"PWD", "OLDPWD", "SSH_AUTH_SOCK", "XAUTHORITY", "KRB5CCNAME"})


def _names_a_place(name: str, value: str) -> bool:
    """A secret-sounding variable whose value is a place, not a secret: the shell's working
    folder (``PWD`` matches the password pattern, and every output path under the current
    folder contains it), an agent's socket, or a path that exists, such as
    ``GOOGLE_APPLICATION_CREDENTIALS`` (the key file's path travels; the key does not)."""
    if name.upper() in _PLACE_VARIABLES:
        return True
    return os.path.isabs(value) and os.path.exists(value)


class SecretDetector:
    """Strings equal to secret-named environment values, shaped like known credentials, or
    kept under a secret's name (a ``DB_PASSWORD`` global, a ``password`` key).

    What it returns describes the value without showing it: never more than a credential's
    well-known prefix.
    """

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.env_values = {
            value: name
            for name, value in env.items()
            if _SECRET_NAME.search(name) and len(value) >= 8 and not _names_a_place(name, value)
        }
        self._names: dict[str, bool] = {}

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
            for needle, pattern in _PREFIXED_SHAPES:
                if needle in value:
                    for found in pattern.finditer(value):
                        token = found.group(2)
                        if len(set(token)) >= 8 and not _has_placeholder_word(token):
                            return f"a string shaped like a credential ({found.group(1)}...)"
        return None

    def check_named(self, name: Any, value: str) -> str | None:
        """The reason to flag ``value`` held under ``name`` (a global, key or attribute)."""
        if not isinstance(name, str) or len(value) < MIN_NAMED_SECRET_LENGTH:
            return None
        secret_name = self._names.get(name)
        if secret_name is None:
            secret_name = self._names[name] = is_secret_name(name)
            if len(self._names) > 10_000:
                self._names.clear()
        if not secret_name or not looks_like_secret_value(value):
            return None
        shown = name if len(name) <= 40 else name[:37] + "..."
        return f"a string named {shown!r} (********)"


def _has_placeholder_word(value: str) -> bool:
    """``sk_live_xxxxxxxxxxxxxxxxxxxxxxxx``, ``Bearer YOUR_ACCESS_TOKEN_GOES_HERE``."""
    lowered = value.lower()
    return any(word in lowered for word in _PLACEHOLDER_WORDS)


_detector_cache: tuple[int, SecretDetector] | None = None


def secret_detector() -> SecretDetector:
    """A detector for the current environment, rebuilt only when the environment changes."""
    global _detector_cache
    key = hash(frozenset(os.environ._data.items())) if hasattr(os.environ, "_data") else 0
    if _detector_cache is None or _detector_cache[0] != key or key == 0:
        _detector_cache = (key, SecretDetector())
    return _detector_cache[1]
