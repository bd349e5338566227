"""Point a finding at the user's own code: the file and line that created the bad part.

Paths say *where in the object* a problem is; file:line says *where in your code*. We take
the nearest function or class on the path that lives in the user's files (not the standard
library, not site-packages), because that is the line a user can change.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import site
import sys
import sysconfig
import types
from typing import Any

_OWN_ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
_OWN_EXAMPLES = os.path.join(_OWN_ROOT, "examples", "")


@functools.lru_cache(maxsize=1)
def _library_prefixes() -> tuple[str, ...]:
    paths = {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    for getter in (site.getsitepackages, lambda: [site.getusersitepackages()]):
        try:
            paths.update(getter())
        except Exception:  # noqa: BLE001 - some embedded interpreters lack these
            pass
    paths.add(_OWN_ROOT)
    return tuple(os.path.join(os.path.realpath(p), "") for p in paths if p)


@functools.lru_cache(maxsize=4096)
def is_user_file(filename: str | None) -> bool:
    """True for files the user wrote: not the standard library, installed packages or beam-deps.

    Installed packages are this interpreter's site folders and any folder named
    ``site-packages`` or ``dist-packages`` (another environment's, put on ``PYTHONPATH``).
    The bundled example pipelines count as user code, so their findings point at them.
    """
    if not filename or filename.startswith("<"):
        return False
    real = os.path.realpath(filename)
    if real.startswith(_OWN_EXAMPLES):
        return True
    return not real.startswith(_library_prefixes()) and not _in_site_dir(real)


def is_user_class(cls: type) -> bool:
    """A class defined in the user's files (``__main__`` included): its module's file is
    ``is_user_file``. A class whose module has no file (built in) is not the user's."""
    module = sys.modules.get(getattr(cls, "__module__", None) or "")
    return is_user_file(getattr(module, "__file__", None) or "")


_SITE_DIRS = frozenset({"site-packages", "dist-packages"})


def _in_site_dir(real: str) -> bool:
    """Inside a folder where pip installs packages, whichever environment it belongs to."""
    return not _SITE_DIRS.isdisjoint(real.split(os.sep))


@functools.lru_cache(maxsize=1)
def _stdlib_prefixes() -> tuple[str, ...]:
    paths = {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib")}
    return tuple(os.path.join(os.path.realpath(p), "") for p in paths if p)


@functools.lru_cache(maxsize=4096)
def is_third_party_file(filename: str | None) -> bool:
    """True for an installed package's file: neither the user's nor the standard library's.

    A module without a file (built into the interpreter) is the standard library's.
    """
    if not filename or filename.startswith("<") or is_user_file(filename):
        return False
    real = os.path.realpath(filename)
    return _in_site_dir(real) or not real.startswith(_stdlib_prefixes())


def code_owner(obj: Any) -> Any | None:
    """The function or class that defines ``obj`` (itself, or an instance's class)."""
    if isinstance(obj, types.MethodType):
        obj = obj.__func__
    if isinstance(obj, types.FunctionType | type):
        return obj
    cls = type(obj)
    if cls.__module__ not in ("builtins",) and not isinstance(obj, types.ModuleType):
        return cls
    return None


def location(owner: Any) -> tuple[str | None, int | None]:
    """File and line of a function's ``def`` or a class's ``class`` statement."""
    try:
        if isinstance(owner, types.FunctionType):
            code = owner.__code__
            return code.co_filename, code.co_firstlineno
        if isinstance(owner, type):
            return _class_location(owner)
    except Exception:  # noqa: BLE001
        pass
    return None, None


@functools.lru_cache(maxsize=1024)
def _class_location(cls: type) -> tuple[str | None, int | None]:
    try:
        filename = inspect.getsourcefile(cls)
    except (TypeError, OSError):
        filename = None
    if filename is None:
        for value in vars(cls).values():
            if isinstance(value, types.FunctionType):
                return value.__code__.co_filename, None
        return None, None
    if not is_user_file(filename):
        return filename, None  # no need to parse a library's source: it is never reported
    try:
        _, line = inspect.findsource(cls)
        return filename, line + 1
    except (OSError, TypeError, IndexError):
        return filename, None


def user_location(steps: list[tuple[Any, str]]) -> tuple[str | None, int | None]:
    """Where the last part of a path is held, in the user's files.

    ``steps`` are (object, label) pairs from the root down. The culprit itself is skipped
    when it has a holder: for a bad object the line to change is the code that captures it,
    ideally the ``self.attr = ...`` assignment, not the bad object's own class.
    """
    holders = steps[:-1] if len(steps) > 1 else steps
    for i in range(len(holders) - 1, -1, -1):
        obj = holders[i][0]
        owner = code_owner(obj)
        if owner is None:
            continue
        filename, line = location(owner)
        if not is_user_file(filename):
            continue
        next_label = steps[i + 1][1] if i + 1 < len(steps) else ""
        if isinstance(owner, type) and owner is not obj and next_label.startswith("."):
            line = _assignment_line(owner, next_label[1:]) or line
        return filename, line
    return None, None


def _assignment_line(cls: type, attr: str) -> int | None:
    """The line of ``self.<attr> = ...`` in the class (or its user-defined bases)."""
    if not attr.isidentifier():
        return None
    pattern = re.compile(rf"\bself\.{attr}\s*(?::[^=]+)?=(?!=)")
    for klass in cls.__mro__:
        if klass is object or not is_user_file(location(klass)[0]):
            continue
        try:
            lines, start = inspect.getsourcelines(klass)
        except (OSError, TypeError):
            continue
        for offset, text in enumerate(lines):
            if pattern.search(text):
                return start + offset
    return None
