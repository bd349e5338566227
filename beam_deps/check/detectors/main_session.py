"""``--save_main_session``: what it carries with this pickler, and whether it can.

dill dumps the whole ``__main__`` into ``pickled_main_session`` and workers load it before
any DoFn; cloudpickle saves only the coder / logical-type / schema registries (its
functions already carry their globals). We make the same dump Beam makes, with Beam's own
``pickler.dump_session``, so the simulated worker can load it exactly as sdk_worker_main does.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.postprocess import MISSING_MAIN_ATTRIBUTE
from beam_deps.diagnostics import Diagnostic


def save_main_session(options: Any) -> bool:
    from apache_beam.options.pipeline_options import SetupOptions

    return bool(options.view_as(SetupOptions).save_main_session)


def main_session_diagnostics(
    options: Any, library: str, main_globals: dict[str, Any], file: str | None
) -> tuple[list[Diagnostic], str | None]:
    """(diagnostics, path of the dumped session for the simulated worker, if any).

    Must run while the script's module is still ``sys.modules['__main__']``.
    """
    rebuilt = rebuilt_class_diagnostics(library, main_globals, file)
    if not save_main_session(options):
        return rebuilt, None
    diagnostics, session = _session_diagnostics(options, library, main_globals, file)
    return rebuilt + diagnostics, session


def _session_diagnostics(
    options: Any, library: str, main_globals: dict[str, Any], file: str | None
) -> tuple[list[Diagnostic], str | None]:
    where = {"file": file, "line": _option_line(file)}
    if library == "cloudpickle":
        flags = getattr(options, "_flags", None) or ()
        if where["line"] is None and not any(f.startswith("--save_main_session") for f in flags):
            # Not asked for: Beam turns it on itself for service runners with cloudpickle.
            return [
                diagnostic(
                    "BD203",
                    "Beam turns --save_main_session on by default for this runner with the "
                    "cloudpickle pickler; it saves only the coder, logical-type and schema "
                    "registries, so your script's globals still travel with the functions "
                    "that use them",
                    severity="info",
                    fix="Nothing to do.",
                    **where,
                )
            ], None
        return [
            diagnostic(
                "BD203",
                "--save_main_session with the cloudpickle pickler saves only the coder, "
                "logical-type and schema registries, not your script's globals; functions "
                "already carry the globals they use",
                **where,
            )
        ], None
    from apache_beam.internal import pickler

    from beam_deps.pickling import using_library

    fd, path = tempfile.mkstemp(prefix="beam-deps-main-session-")
    os.close(fd)
    try:
        with using_library(library), _dill_main(main_globals):
            pickler.dump_session(path)
    except Exception as exc:  # noqa: BLE001 - dill raises anything for odd globals
        os.unlink(path)
        culprits = _unpicklable_globals(main_globals, library)
        named = ", ".join(repr(n) for n in culprits[:8]) or "(could not single one out)"
        return [
            diagnostic(
                "BD204",
                f"--save_main_session cannot pickle your script's globals "
                f"({type(exc).__name__}: {str(exc)[:200]}); unpicklable: {named}",
                path="__main__",
                culprits=culprits,
                **where,
            )
        ], None
    return [], path


def rebuilt_class_diagnostics(
    library: str, main_globals: dict[str, Any], file: str | None
) -> list[Diagnostic]:
    """BD307: worker code reads what a class of the script inherits, and dill drops it.

    dill 0.3.6+ pickles a class of ``__main__`` by value and rebuilds it from
    ``__orig_bases__`` when the class has one, even one it only inherits: a subclass of the
    Generic ``beam.PTransform`` comes back with PTransform's own bases, without PTransform
    and without the script's base classes (with or without the main session: the session
    holds the same rebuilt class). That alone is harmless (most composites only carry
    ``self`` in a closure and read their own attributes), so we report only a read, by code
    that runs on the worker, of a name the rebuilt class has lost. What the worker's class
    lacks is not guessed from a dill version: we pickle the class with Beam's pickler and
    load it back, and compare. Which code runs on the worker is read from the source
    (``rebuilt_classes.worker_reads``): a closure or bound method the class's code hands on
    (``beam.Map(self.words)``), and the methods it calls on ``self``, never code only called
    while the pipeline is built.
    """
    if library == "cloudpickle" or not file or not os.path.isfile(file):
        return []
    from beam_deps.check.detectors.rebuilt_classes import lost_names, worker_reads

    out: list[Diagnostic] = []
    for name, cls in list(main_globals.items()):
        if not isinstance(cls, type) or cls.__module__ != "__main__" or cls.__name__ != name:
            continue
        if "__orig_bases__" in vars(cls) or not hasattr(cls, "__orig_bases__"):
            continue  # dill uses __bases__, or the class's own __orig_bases__: faithful
        lost, rebuilt_bases = lost_names(cls, library)
        if not lost:
            continue
        bases = ", ".join(b.__name__ for b in rebuilt_bases)
        gone = [c.__name__ for c in cls.__mro__[1:] if c not in rebuilt_bases and c is not object]
        gone = [n for n in gone if n not in bases.split(", ")]
        for method, attribute, line in worker_reads(cls, file, lost):
            owner = next(c for c in cls.__mro__ if attribute in vars(c))
            out.append(
                diagnostic(
                    "BD307",
                    f"{library} (dill {_dill_version()}) rebuilds {cls.__name__} on the worker "
                    f"from the __orig_bases__ it inherits ({bases}), without "
                    f"{' and '.join(gone)}; {cls.__name__}.{method} runs there and reads "
                    f"self.{attribute}, which {cls.__name__} inherits from {owner.__name__}: "
                    f"\"AttributeError: '{cls.__name__}' object has no attribute "
                    f"'{attribute}'\"",
                    path=f"{cls.__name__}.{attribute}",
                    file=file,
                    line=line,
                    transform=cls.__name__,
                    cls=cls.__name__,
                    attribute=attribute,
                    inherited_from=f"{owner.__module__}.{owner.__qualname__}",
                )
            )
    return out


def _dill_version() -> str | None:
    from beam_deps.pickling import dill_version

    return dill_version()


@contextlib.contextmanager
def _dill_main(main_globals: dict[str, Any]) -> Iterator[None]:
    """Make dill's idea of ``__main__`` the script's for the dump, as under ``python x.py``.

    dill binds ``__main__`` when first imported; from 0.3.6 ``dill.session`` holds its own
    binding (``from ._dill import _main_module``), which is what ``dump_session`` dumps and
    ``load_session`` fills. Pointing only ``dill._dill`` at the script would dump beam-deps'
    own ``__main__``: names the script never had, and beam-deps itself, which no worker has.
    """
    session = sys.modules.get("dill.session")
    main = sys.modules.get("__main__")
    if session is None or getattr(main, "__dict__", None) is not main_globals:
        yield
        return
    previous = getattr(session, "_main_module", None)
    session._main_module = main
    try:
        yield
    finally:
        session._main_module = previous


def session_notes(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """BD203 once per check, and only where ``--save_main_session`` changes the outcome.

    With cloudpickle the flag is harmless: functions carry their globals, so for most
    pipelines (Beam's own wordcount sets it) there is nothing to say. It matters where the
    worker looks a class of the script up in its own ``__main__`` (instances of it travel
    as elements: BD302, or the simulated worker's BD412 naming a ``__main__`` attribute):
    with dill the saved session would define it there, with cloudpickle it does not, and
    the user who set the flag expects it to. Run before ``postprocess.merged`` (it reads
    the steering key that names the missing attribute).
    """
    notes = [d for d in diagnostics if d.code == "BD203"]
    if not notes:
        return diagnostics
    relies: list[str] = []
    for d in diagnostics:
        name = d.path if d.code == "BD302" else d.extra.get(MISSING_MAIN_ATTRIBUTE)
        if name and name not in relies:
            relies.append(name)
    out = [d for d in diagnostics if d.code != "BD203"]
    if not relies:
        return out
    note = notes[0]
    named = ", ".join(relies[:5]) + (", ..." if len(relies) > 5 else "")
    note.message = (
        "--save_main_session with the cloudpickle pickler saves only the coder, logical-type "
        f"and schema registries, not your script's globals: it does not define {named} in "
        "the worker's __main__ and does not prevent the BD302 failure (only dill's main "
        "session defines the script's classes there)"
    )
    note.extra["relied_on"] = relies
    return [note, *out]


def _unpicklable_globals(main_globals: dict[str, Any], library: str) -> list[str]:
    from beam_deps.pickling import dumps

    bad = []
    for name, value in list(main_globals.items()):
        if name.startswith("__"):
            continue
        try:
            dumps(value, library)
        except Exception:  # noqa: BLE001
            bad.append(name)
    return bad


def _option_line(file: str | None) -> int | None:
    """The line that sets save_main_session in the script, when it does so literally."""
    if not file or not os.path.isfile(file):
        return None
    try:
        with open(file, encoding="utf-8", errors="replace") as fh:
            for number, text in enumerate(fh, 1):
                if "save_main_session" in text:
                    return number
    except OSError:
        pass
    return None
