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


def main_class_members(main_globals: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """The fields, own members (dunders aside) and fields with defaults of each NamedTuple
    class the script defines or imports, by name.

    Why: dill pickles a ``typing.NamedTuple`` or ``namedtuple`` class by its name and fields
    only, so on the worker (from the main session, or a payload) the class lacks the methods
    and properties the script gave it; the simulated worker compares these names with what
    its copy has (BD312). dill before 0.3.5 (Beam's ``dill``) drops the field defaults too.
    An imported one is included: where the worker cannot import its
    module, dill rebuilds it the same way."""
    out: dict[str, dict[str, list[str]]] = {}
    for name, value in main_globals.items():
        try:
            if not (
                isinstance(value, type)
                and getattr(value, "__name__", None) == name
                and issubclass(value, tuple)
                and isinstance(getattr(value, "_fields", None), tuple)
            ):
                continue
            own = [n for n in vars(value) if not (n.startswith("__") and n.endswith("__"))]
            fields = [str(f) for f in value._fields]
            defaults = [str(f) for f in getattr(value, "_field_defaults", None) or {}]
        except Exception:  # noqa: BLE001 - a hostile class: not compared
            continue
        out[name] = {
            "fields": fields,
            "members": sorted(set(own) - set(fields)),
            "defaults": defaults,
        }
    return out


def main_session_diagnostics(
    options: Any, library: str, main_globals: dict[str, Any], file: str | None
) -> tuple[list[Diagnostic], str | None]:
    """(diagnostics, path of the dumped session for the simulated worker, if any).

    Must run while the script's module is still ``sys.modules['__main__']``.
    """
    if not save_main_session(options):
        return [], None
    return _session_diagnostics(options, library, main_globals, file)


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

    written = _written_paths(main_globals)  # before Beam's load replaces the globals
    fd, path = tempfile.mkstemp(prefix="beam-deps-main-session-")
    os.close(fd)
    try:
        with using_library(library), _dill_main(main_globals), _no_truncation():
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
    return _session_files(main_globals, library, where, written), path


def _session_files(
    main_globals: dict[str, Any],
    library: str,
    where: dict,
    written: dict[str, str] | None = None,
) -> list[Diagnostic]:
    """BD105 for each open file among the script's globals in dill's saved session: dill
    pickles the handle by its path and the worker reopens that path before any DoFn runs, in
    its own folder and on its own disk (m24 f23: an empty file, so the job reads nothing)."""
    from beam_deps.pickling.hazards import describe_pickled, is_real_file

    written = _written_paths(main_globals) if written is None else written
    out: list[Diagnostic] = []
    for name, value in list(main_globals.items()):
        if name in written:
            line = _binding_line(where.get("file"), name) or where.get("line")
            out.append(_truncation(name, written[name], {**where, "line": line}))
            continue
        try:
            live = is_real_file(value) and not value.closed  # a closed one loads closed
            hazard = describe_pickled(value, library) if live else None
        except Exception:  # noqa: BLE001 - a hostile global: not judged
            continue
        if hazard is None or hazard.code != "BD105":
            continue
        extra = {"severity": hazard.severity.value} if hazard.severity is not None else {}
        out.append(
            diagnostic(
                "BD105",
                f"global {name!r} of the main session --save_main_session saves: {hazard.message}",
                path=f"__main__ > {name}",
                name=name,
                **extra,
                **where,
            )
        )
    return out


def _written_paths(main_globals: dict[str, Any]) -> dict[str, str]:
    """{global name: path} for the file objects opened for writing among the globals."""
    found = {}
    for name, value in list(main_globals.items()):
        try:
            path = _written_path(value)
        except Exception:  # noqa: BLE001 - a hostile global: not judged
            continue
        if path is not None:
            found[name] = path
    return found


def _written_path(value: Any) -> str | None:
    """The path of a file object opened for writing (``"w"``: it truncates), open or
    closed, such as the ``f`` a module-level ``with open(path, "w") as f:`` leaves."""
    from beam_deps.pickling.hazards import is_real_file

    if not is_real_file(value):
        return None
    mode, name = getattr(value, "mode", ""), getattr(value, "name", None)
    if not (isinstance(mode, str) and "w" in mode and isinstance(name, str)):
        return None
    # a regular file only: emptying /dev/null, a pipe or a terminal loses nothing
    return name if os.path.isfile(name) else None


def _truncation(name: str, path: str, where: dict) -> Diagnostic:
    """BD105: dill reopens a file handle of the session with its own mode when the session
    loads, and mode "w" empties the file (uqfoundation/dill#552): Beam loads the session back
    on this machine while it saves it (dill_pickler.dump_session dumps, loads and dumps), and
    every worker loads it."""
    return diagnostic(
        "BD105",
        f"global {name!r} of the main session --save_main_session saves is a file opened "
        f"with mode 'w' ({path}, closed or not): dill reopens it with that mode whenever the "
        "session loads, which empties the file: on this machine while Beam saves the session, "
        "then on every worker, so a job that reads it reads nothing (and the file's content "
        "is lost)",
        severity="error",
        path=f"__main__ > {name}",
        name=name,
        fix=f"Write the file in a function, so no file object stays a global (`def export(): "
        f"with open(...) as f: ...`), or `del {name}` after the with block.",
        **where,
    )


@contextlib.contextmanager
def _no_truncation() -> Iterator[None]:
    """While check makes the session as Beam does (dump, load, dump), a file handle opened
    with mode "w" is reopened on the null device, not on its path: Beam's own load would
    empty the user's file (BD105), and check must not. The session the simulated worker
    loads then holds the null device in its place."""
    import dill._dill as dill_internals

    original = dill_internals._create_filehandle

    def create(name: Any, mode: Any, *rest: Any) -> Any:
        if isinstance(mode, str) and "w" in mode:
            name = os.devnull
        return original(name, mode, *rest)

    # the second dump pickles the handle with the function dill finds by this name: it must
    # be pickled as dill's own, which the worker has
    create.__module__, create.__qualname__ = original.__module__, original.__qualname__
    create.__name__ = original.__name__
    dill_internals._create_filehandle = create
    try:
        yield
    finally:
        dill_internals._create_filehandle = original


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


def _binding_line(file: str | None, name: str) -> int | None:
    """The line where the script's top level (not a function's or a class's body) binds
    ``name`` to an open file: ``with open(...) as f:`` or ``f = open(...)``; else the last
    line that binds it there."""
    import ast

    try:
        with open(file or "", encoding="utf-8", errors="replace") as fh:
            tree = ast.parse(fh.read())
    except (OSError, SyntaxError, ValueError):
        return None
    opened: list[int] = []
    bound: list[int] = []
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
            if node.optional_vars.id == name and isinstance(node.context_expr, ast.Call):
                opened.append(node.optional_vars.lineno)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                opened.append(node.lineno)
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            bound.append(node.lineno)
        stack.extend(ast.iter_child_nodes(node))
    return max(opened) if opened else (max(bound) if bound else None)


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
