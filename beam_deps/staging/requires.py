"""Per-transform dependency declarations: ``@requires(...)`` and ``requires_base(...)``.

Imports inside a DoFn run only on the worker, and some needs are not imports at all (a
plugin loaded by entry point, a specific version a model was trained with). Declaring them on
the code that needs them keeps the need next to its reason, like Metaflow's ``@conda``. A
Beam worker has ONE environment per pipeline, so declarations are merged, and two that no
single version satisfies are reported (BD409) instead of letting pip pick one silently.

The decorator only records strings on the object: nothing from beam-deps is needed on the
worker to unpickle a decorated DoFn.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

from beam_deps.environment.declarations import (  # noqa: F401
    ATTRIBUTE,
    OWN_ENVIRONMENT,
    Declaration,
    Merged,
    declared_on,
    merge,
)
from beam_deps.errors import UsageError

# `packaging` is imported inside the functions: importing beam_deps must stay cheap (the
# warm `beam-deps stage` path never needs it).

_collectors: list[list[Declaration]] = []
_lock = threading.Lock()


def _caller(depth: int = 2) -> tuple[str | None, int | None]:
    """File and line of the code that called the public function (the ``@requires(...)``
    decorator line, the ``requires_base(...)`` call)."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return None, None
    file = frame.f_code.co_filename
    if not file or file.startswith("<"):
        return None, frame.f_lineno
    return os.path.abspath(file), frame.f_lineno


def _validate(requirements: tuple[str, ...]) -> tuple[str, ...]:
    from packaging.requirements import InvalidRequirement, Requirement

    for line in requirements:
        try:
            Requirement(line)
        except InvalidRequirement as exc:
            raise UsageError(
                f"invalid requirement {line!r} in beam_deps.requires: {exc}; use pip syntax "
                "such as 'pandas==2.2.3'"
            ) from None
    return requirements


def _record(declarations: list[Declaration]) -> None:
    with _lock:
        for collector in _collectors:
            collector.extend(declarations)


def requires(*requirements: str, own_environment: bool = False):
    """Declare what a DoFn class or a function needs installed on the worker.

    >>> @requires("pandas==2.2.3")
    ... class ToFrame(beam.DoFn): ...

    ``own_environment=True`` asks for an environment of its own even when the declarations
    could share one (per-transform environments, on runners that start workers per
    environment); declarations that conflict get their own environments anyway.
    """
    reqs = _validate(tuple(requirements))
    file, line = _caller()

    def decorate(obj):
        existing = tuple(getattr(obj, ATTRIBUTE, ()))
        setattr(obj, ATTRIBUTE, existing + reqs)
        if own_environment:
            setattr(obj, OWN_ENVIRONMENT, True)
        origin = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', obj)!s}"
        _record([Declaration(r, origin, file, line) for r in reqs])
        return obj

    return decorate


def requires_base(*requirements: str) -> None:
    """Declare what the whole pipeline needs on every worker (call at module level)."""
    reqs = _validate(tuple(requirements))
    file, line = _caller()
    _record([Declaration(r, "pipeline", file, line) for r in reqs])


@contextlib.contextmanager
def collecting() -> Iterator[list[Declaration]]:
    """Collect every declaration made while the block runs (i.e. while a script loads)."""
    bucket: list[Declaration] = []
    with _lock:
        _collectors.append(bucket)
    try:
        yield bucket
    finally:
        with _lock:
            _collectors.remove(bucket)
