"""Codes and messages for what the simulated worker saw (``check.simulated.probe``).

The child reports raw records (``kind``, module or name, line); only here, where the user's
environment can be seen, is each one classified: a module missing on the worker but
installed here (BD401), local code that is not staged (BD402), missing everywhere (BD403);
names that will be undefined (BD201) or that resolve only because ``sdk_worker_main``
imports them (BD202); module state a DoFn mutates (BD205); ``super(Name, self)`` whose
name finds another copy of the class (BD311); a member the session's copy of a class lost
(BD312); a pickle library the worker lacks (BD408); any other unpickling failure (BD412).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.postprocess import MISSING_MAIN_ATTRIBUTE
from beam_deps.diagnostics import Diagnostic
from beam_deps.environment.distributions import locate_module, module_owner

# How pickle words that failure in the worker's exception (the child's raw text).
_CANT_GET = re.compile(r"Can't get attribute '([^']+)' on <module 'apache_beam\.runners\.worker")


def _main_attribute(worker_error: str) -> str | None:
    match = _CANT_GET.search(worker_error)
    return match.group(1) if match else None


def declared_names(declarations: Iterable[Any]) -> dict[str, str]:
    """Canonical distribution name -> the ``@requires``/``requires_base`` requirement that
    declares it (``environment.declarations.Declaration``); unreadable ones are skipped."""
    out: dict[str, str] = {}
    for declaration in declarations:
        if declaration.name is not None:
            out.setdefault(declaration.name, declaration.requirement)
    return out


def classify_missing(
    module: str,
    *,
    search_path: Sequence[str] = (),
    declared: dict[str, str] | None = None,
) -> tuple[str, str, str]:
    """(code, short reason, fix detail) for a module a worker cannot import.

    A module whose distribution the pipeline already declares with ``@requires`` needs no
    new requirement line: the declaration is staged by ``beam-deps stage`` (or ``run``), so
    the fix points there instead of asking the user to repeat it in a requirements file."""
    owned = module_owner(module, search_path)
    if owned is not None:
        owner, version, local = owned
        from packaging.utils import canonicalize_name

        requirement = (declared or {}).get(canonicalize_name(owner))
        if requirement is not None and not local:
            return (
                "BD401",
                f"installed here ({owner} {version}) but not on the worker",
                f"it is declared with @requires ({requirement!r}), which only "
                "`beam-deps stage` stages: stage with it and run with the options it prints, "
                "or use `beam-deps run`",
            )
        if local:
            return (
                "BD401",
                f"installed here ({owner} {version}, an editable/local install) but not on "
                "the worker",
                "an editable install cannot be pip-installed on a worker: `beam-deps stage` "
                "builds a wheel of it, or pass a wheel with --extra_package",
            )
        return (
            "BD401",
            f"installed here ({owner} {version}) but not on the worker",
            f"add `{owner}=={version}` to the requirements you stage "
            f"(--requirements_file, or `beam-deps stage`)",
        )
    found = locate_module(module, search_path)
    if found is not None:
        return (
            "BD402",
            f"local code (found in {found[0]}) that is not staged",
            "ship it: `beam-deps stage`, --setup_file with a setup.py, or --extra_package",
        )
    return ("BD403", "not installed here or on the worker", "install and stage it, or remove it")


def findings_to_diagnostics(
    findings: Iterable[dict[str, Any]],
    *,
    subject: str,
    library: str,
    search_path: Sequence[str] = (),
    declarations: Iterable[Any] = (),
    read_back: dict[str, int] | None = None,
    classes_on_workers: set[str] | None = None,
) -> list[Diagnostic]:
    """Diagnostics for what the simulated worker reported about one payload
    (``declarations``: the script's ``@requires`` ones, which change BD401's fix;
    ``read_back``: the script's globals it reads after the pipeline ran, ``read_after_run``,
    which make BD205 an error; ``classes_on_workers``: the classes worker code reaches,
    ``worker_code.classes_on_workers``, the only ones whose lost members BD312 reports)."""
    declared = declared_names(declarations)
    out: list[Diagnostic] = []
    missing_reported: set[str] = set()
    for f in findings:
        kind = f.get("kind")
        where = {"file": f.get("file"), "line": f.get("line")}
        function = f.get("function")
        path = f"{subject} > {function}" if function and function != subject else subject
        if kind in ("unpickle", "import", "session") and (f.get("missing") or f.get("module")):
            module = f.get("missing") or f.get("module")
            if module in missing_reported:
                continue
            missing_reported.add(module)
            code, reason, fix = classify_missing(module, search_path=search_path, declared=declared)
            when = {
                "unpickle": "when it unpickles the payload",
                "import": f"when {function} runs" if function else "when it unpickles the payload",
                "session": "when it loads the main session, before any DoFn",
            }[kind]
            out.append(
                diagnostic(
                    code,
                    f"the worker will fail with ModuleNotFoundError: No module named "
                    f"{module!r} {when}: {reason}",
                    path=path,
                    fix=fix,
                    module=module,
                    **where,
                )
            )
        elif kind in ("unpickle", "session"):
            d = diagnostic(
                "BD412",
                f"the simulated worker could not "
                f"{'load the main session' if kind == 'session' else 'unpickle ' + subject}:"
                f" {f.get('message')}",
                path=subject,
            )
            attribute = _main_attribute(f.get("message") or "")
            if attribute:
                d.extra[MISSING_MAIN_ATTRIBUTE] = attribute
            out.append(d)
        elif kind == "name":
            name = f["name"]
            cause = (
                "it is a global of your script, and with the dill pickler functions defined "
                "in __main__ look globals up in the worker's __main__ (sdk_worker_main)"
                if library.startswith("dill")
                else "it is not defined when the pipeline is pickled"
            )
            out.append(
                diagnostic(
                    "BD201",
                    f"NameError on the worker: {function} reads global {name!r}, which will be "
                    f"undefined there: {cause}",
                    path=path,
                    name=name,
                    **where,
                )
            )
        elif kind == "main_attribute":
            name = f["name"]
            saved = (
                "the session dill saves with --save_main_session would carry it"
                if library.startswith("dill")
                else "Beam's cloudpickle saves no __main__ variables even with --save_main_session"
            )
            out.append(
                diagnostic(
                    "BD201",
                    f"{function} reads __main__.{name}, which the worker's __main__ will not "
                    f"have: there __main__ is Beam's sdk_worker_main, not your script, and "
                    f"{name!r} was set on your script's __main__ while it ran ({saved}); "
                    + (
                        "your code's own check that it is there fails on the worker"
                        if f.get("asks")
                        else f"the worker fails with \"AttributeError: module '__main__' has "
                        f"no attribute '{name}'\""
                    ),
                    path=path,
                    name=name,
                    **where,
                )
            )
        elif kind == "accidental":
            name = f["name"]
            out.append(
                diagnostic(
                    "BD202",
                    f"{function} reads global {name!r}, which resolves on the worker only because "
                    f"sdk_worker_main happens to import {name!r} into the worker's __main__",
                    path=path,
                    name=name,
                    **where,
                )
            )
        elif kind == "mutation":
            name = f["name"]
            # a function of the script (pickled by value): the global it fills is the script's
            read = (read_back or {}).get(name) if f.get("module") == "__main__" else None
            if read is None and f.get("lazy"):
                continue  # a lazily made per-process cache (a model, a client): as meant
            held = "the class attribute" if "." in name else "module-level"
            message = (
                f"{function} {f.get('how', 'mutates')} {held} {name!r}: each worker "
                f"process has its own copy, so the change is never seen by your program or "
                f"by other workers"
            )
            if read is None:
                message += " (fine for a per-worker cache, wrong for a result)"
            else:
                message += (
                    f", and your script reads {name!r} after the pipeline ran (line {read}): "
                    "it still has this process's value, so the result is wrong"
                )
            out.append(
                diagnostic(
                    "BD205",
                    message,
                    severity=None if read is None else "error",
                    path=path,
                    name=name,
                    **where,
                )
            )
        elif kind == "super":
            name, cls = f["name"], f.get("cls") or f["name"]
            out.append(
                diagnostic(
                    "BD311",
                    f"{function} calls super({name}, ...), and on the worker {name!r} names "
                    f"another copy of the class than the one {library} rebuilt for this "
                    f'payload (the main session holds its own copy): "TypeError: '
                    f'super(type, obj): obj must be an instance or subtype of type" on '
                    f"every call",
                    path=path,
                    name=name,
                    cls=cls,
                    **where,
                )
            )
        elif kind == "lost":
            name, cls = f["name"], f["cls"]
            if classes_on_workers is not None and cls not in classes_on_workers:
                continue
            out.append(
                diagnostic(
                    "BD312",
                    f"{function} reads .{name}, which {cls} defines in your script, but "
                    f"{library} saves a NamedTuple class by its name and fields only, so the "
                    f"worker's {cls} (from the main session or the "
                    f"payload) lacks it: \"AttributeError: '{cls}' object has no attribute "
                    f"'{name}'\"",
                    path=path,
                    name=name,
                    cls=cls,
                    **where,
                )
            )
        elif kind == "defaults":
            cls, fields = f["cls"], list(f["fields"])
            shown = ", ".join(repr(x) for x in fields)
            out.append(
                diagnostic(
                    "BD312",
                    f"{function} calls {cls}(...) without {shown}, which {cls} gives a "
                    f"default in your script, but the dill this pickles with (before 0.3.5) "
                    f"saves a NamedTuple class by its name and fields only, so the worker's "
                    f'{cls} has no defaults: "TypeError: {cls}.__new__() missing '
                    f'{len(fields)} required positional argument{"s" if len(fields) > 1 else ""}"',
                    fix=f"Pass every field in the call ({cls}(..., {fields[0]}=...)), or "
                    f"define {cls} in a staged module (pickled by reference, defaults "
                    f"intact), or pickle with cloudpickle or dill 0.3.5+ "
                    f"(--pickle_library=dill_unsafe).",
                    path=path,
                    name=cls,
                    cls=cls,
                    **where,
                )
            )
        elif kind == "fields":
            call, classes = f["call"], list(f["classes"])
            shown = ", ".join(classes)
            out.append(
                diagnostic(
                    "BD313",
                    f"{function} calls {call}(), but the worker's copy of your dataclass "
                    f"{shown} has no fields there: the dill this pickles with (before 0.3.5) "
                    f"rebuilds it with a copy of the dataclasses module's field marker, which "
                    f"fields() compares by identity, so fields() is (), asdict() gives {{}} "
                    f"and astuple() (): a KeyError or wrong output later",
                    path=path,
                    name=call,
                    cls=classes[0],
                    **where,
                )
            )
        elif kind == "library":
            out.append(
                diagnostic(
                    "BD408",
                    f"the pipeline is pickled with {library} but the worker cannot load it "
                    f"({f.get('message')}), so it cannot read any payload",
                    fix="Install dill on the worker: dill==0.3.1.1 for --pickle_library=dill "
                    "(`apache-beam[dill]` in your image, or a line in --requirements_file), "
                    "or pickle with cloudpickle, Beam's default.",
                )
            )
        elif kind == "internal":
            out.append(
                diagnostic(
                    "BD001",
                    f"the simulated worker could not finish inspecting {subject}: "
                    f"{f.get('message')}",
                    path=subject,
                )
            )
    return out


def read_after_run(file: str | None, pipeline_line: int | None) -> dict[str, int]:
    """The names the script reads after its pipeline ran, each with its first line: the
    statements after the ``with beam.Pipeline(...)`` block that holds ``pipeline_line``, or
    after the statement that calls ``.run()``/``.wait_until_finish()`` in the body holding
    it. A global a DoFn fills and the script reads there is a result it never gets (BD205
    as an error); one nothing reads back may be a per-worker cache (a warning)."""
    if not file or not pipeline_line:
        return {}
    try:
        with open(file, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), file)
    except (OSError, SyntaxError, ValueError):
        return {}
    best: tuple[int, list[ast.stmt]] | None = None  # (depth, statements after)
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for i, stmt in enumerate(block):
                end = getattr(stmt, "end_lineno", None) or stmt.lineno
                if not stmt.lineno <= pipeline_line <= end:
                    continue
                if isinstance(stmt, ast.With):
                    after = block[i + 1 :]
                else:
                    runs = [j for j in range(i, len(block)) if _runs_pipeline(block[j])]
                    after = block[runs[0] + 1 :] if runs else None
                if after is not None and (best is None or stmt.lineno >= best[0]):
                    best = (stmt.lineno, after)
    found: dict[str, int] = {}
    for stmt in best[1] if best else ():
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                found.setdefault(node.id, node.lineno)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                found.setdefault(f"{node.value.id}.{node.attr}", node.lineno)  # Job.found
    return found


def _runs_pipeline(stmt: Any) -> bool:
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in ("run", "wait_until_finish")
        for n in ast.walk(stmt)
    )
