"""What the workers need: the distributions behind the pipeline's imports and payloads.

Four sources, each with its own evidence: the script's import statements (AST walk, with the
line to point at), the modules imported while the script built its pipeline, the modules the
serialised payloads reference by name, and the pickler itself. Requirement files the user
already passes with ``--requirements_file`` are declarations, merged rather than lost.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from beam_deps.diagnostics import Diagnostic
from beam_deps.staging import imports, manifest
from beam_deps.staging.errors import StagingError

if TYPE_CHECKING:
    from beam_deps.staging import requirements as reqs_mod
    from beam_deps.staging.wheelhouse import Target


def payload_references(pipeline: Any, library: str) -> list[tuple[str, str]]:
    """Serialise the pipeline as a runner would and read what each payload imports by name."""
    from apache_beam.internal import pickler

    from beam_deps.pickling import references, using_library

    payloads: list[bytes] = []
    original = pickler.dumps

    def dumps(*args, **kwargs):
        data = original(*args, **kwargs)
        payloads.append(data)
        return data

    with using_library(library):
        pickler.dumps = dumps
        try:
            pipeline.to_runner_api()
        finally:
            pickler.dumps = original
    refs: dict[tuple[str, str], None] = {}
    for data in payloads:
        for ref in references(data):
            refs.setdefault(ref, None)
    return list(refs)


def option_values(args: Sequence[str], name: str) -> list[str]:
    values = []
    for i, arg in enumerate(args):
        if arg.startswith(name + "="):
            values.append(arg.split("=", 1)[1])
        elif arg == name and i + 1 < len(args):
            values.append(args[i + 1])
    return values


def user_requirements(pipeline_args: Sequence[str]) -> list:
    """Lines of a ``--requirements_file`` the user already passes: our own
    ``--requirements_file`` comes later on the command line and replaces theirs (Beam keeps
    the last one), so their lines are merged in as declarations instead of being lost."""
    from packaging.requirements import InvalidRequirement, Requirement

    from beam_deps.environment.declarations import Declaration
    from beam_deps.environment.distributions import requirement_entries

    out = []
    for path in option_values(pipeline_args, "--requirements_file"):
        try:
            entries = requirement_entries(path)
        except OSError as exc:
            raise StagingError(
                f"cannot read --requirements_file {path}: {exc.strerror or exc}; fix the path"
            ) from None
        for entry in entries:
            try:
                req = Requirement(entry.text)
            except InvalidRequirement:
                continue  # a local path or pip option: Beam handles those itself
            if req.url is None:
                where, line = str(Path(entry.file).absolute()), entry.line
                out.append(Declaration(entry.text, f"--requirements_file {path}", where, line))
    return out


def user_path(added: list[str]) -> list[Path]:
    """Folders the script put on sys.path (``sys.path.insert(0, "..")`` in a monorepo) that
    hold the user's code, not installed packages."""
    from beam_deps.pickling.locations import is_user_file

    return [Path(p) for p in added if Path(p).is_dir() and is_user_file(str(Path(p) / "x.py"))]


def runtime_local_modules(
    modules_imported: set[str], closure: imports.Closure, search: list[Path]
) -> dict[str, Path]:
    """Local modules imported while the script ran that the AST walk did not see
    (``importlib.import_module(name)`` with a computed name, plugins, code in a folder the
    script put on sys.path itself, ...)."""
    found = {}
    for name in sorted(modules_imported):
        top = name.split(".")[0]
        if top in closure.local or imports.is_stdlib(top) or top in found:
            continue
        location = imports.find_local(top, search)
        if location is not None and not location.name.startswith("."):
            found[top] = location
            imports.add_local(closure, top, location)
            for module in [m for m in closure.external if m.split(".")[0] == top]:
                del closure.external[module]  # the AST walk took it for a distribution
    return found


def needs(
    closure: imports.Closure,
    modules_imported: set[str],
    payload_refs: list[tuple[str, str]],
    library: str,
) -> list[reqs_mod.Need]:
    from beam_deps.staging import requirements as reqs_mod

    needs = []
    for module, sites in closure.external.items():
        site = sites[0]
        needs.append(
            reqs_mod.Need(
                module,
                "import",
                at=f"{site.file}:{site.line}",
                line=site.line,
                guarded=all(s.guarded for s in sites),
            )
        )
    for module in modules_imported:
        if "." in module:
            continue  # the top-level package covers its submodules
        mod = sys.modules.get(module)
        file = getattr(mod, "__file__", None) if mod else None
        needs.append(reqs_mod.Need(module, "built", file=file))
    for module, _ in payload_refs:
        if module and module not in ("__main__", "builtins", "copyreg", "__builtin__"):
            needs.append(reqs_mod.Need(module, "payload"))
    if library.startswith("dill"):
        needs.append(reqs_mod.Need("dill", "pickler"))
    return needs


def python_skew(
    target: Target | None, library: str, at: tuple[str | None, int | None]
) -> list[Diagnostic]:
    """BD405, as `check --worker-python` reports it (at the pipeline's construction): Beam's
    workers refuse a pipeline constructed with another Python minor, and everything here was
    resolved for this one."""
    if target is None or not target.python:
        return []
    from beam_deps.environment.skew import version_skew_diagnostics

    here = manifest.python_version()
    found = [
        d
        for d in version_skew_diagnostics(library=library, worker_python=target.python)
        if d.code == "BD405"
    ]
    for d in found:
        d.file, d.line = at
        d.message += (
            f" (--worker-python {target.python}): Beam's workers refuse a pipeline constructed "
            f"with another Python minor version, and the requirements were resolved and pinned "
            f"for Python {here}"
        )
        d.fix = (
            f"Stage and submit the pipeline with Python {target.python} (a Python "
            f"{target.python} environment with the same packages), or drop --worker-python "
            f"and run the workers on a Python {here} image."
        )
    return found
