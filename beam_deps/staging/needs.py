"""What the workers need: the distributions behind the pipeline's imports and payloads.

Four sources, each with its own evidence: the script's import statements (AST walk, with the
line to point at), the modules imported while the script built its pipeline, the modules the
serialised payloads reference by name, and the pickler itself. Requirement files the user
already passes with ``--requirements_file`` are declarations, merged rather than lost.
"""

from __future__ import annotations

import contextlib
import os
import sys
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from beam_deps.diagnostics import Diagnostic
from beam_deps.staging import imports, manifest
from beam_deps.staging.cache import EVERYTHING
from beam_deps.staging.errors import StagingError

if TYPE_CHECKING:
    from beam_deps.staging import requirements as reqs_mod
    from beam_deps.staging.wheelhouse import Target


# What a script that stopped before building its pipeline showed: nothing beyond its
# import closure (``stage(static_fallback=True)``).
NOTHING_LOADED = types.SimpleNamespace(modules_imported=set(), path_added=[])


@dataclass
class Ran:
    """What running the script until it built its pipeline showed."""

    loaded: Any  # beam_deps.pipeline's LoadedScript: modules imported, sys.path added
    library: str  # the pickle library of the (first) pipeline
    built_at: tuple[str | None, int | None] | None  # where the pipeline is constructed
    payload_refs: list[tuple[str, str]] = field(default_factory=list)
    declarations: list = field(default_factory=list)  # @requires / requires_base
    notes: list[Diagnostic] = field(default_factory=list)
    environ_read: set[str] = field(default_factory=set)  # environment variables read
    # full label -> groups.Needs: what each transform of the (first) pipeline declares
    by_transform: dict[str, Any] = field(default_factory=dict)


def run_script(
    source: Path | None, module: str | None, argv: list[str], timeout: float | None
) -> Ran:
    """Run the script (or ``module``) with ``argv`` until it builds its pipeline; nothing is
    submitted. Serialises each pipeline as a runner would, to read what its payloads import."""
    from beam_deps.catalogue import diagnostic
    from beam_deps.pipeline import load_script
    from beam_deps.staging.requires import collecting

    refs: list[tuple[str, str]] = []
    libraries: list[str] = []
    built_at: list[tuple[str | None, int | None]] = []
    notes: list[Diagnostic] = []
    by_transform: dict[str, Any] = {}

    def on_pipeline(captured, _loaded):
        from beam_deps.environment.groups import declared_by_transform

        libraries.append(captured.pickle_library)
        built_at.append((captured.file, captured.line))
        if len(libraries) == 1:
            with contextlib.suppress(Exception):  # a pipeline Beam cannot walk: check says why
                by_transform.update(declared_by_transform(captured.pipeline))
        try:
            refs.extend(payload_references(captured.pipeline, captured.pickle_library))
        except Exception as exc:  # noqa: BLE001 - `check` reports pickling failures in detail
            notes.append(
                diagnostic(
                    "BD001",
                    "staging could not serialise the pipeline to read what its payloads "
                    f"import ({type(exc).__name__}: {exc}); run `beam-deps check`",
                )
            )

    with collecting() as declarations, environment_reads() as environ_read:
        loaded = load_script(
            source, module=module, argv=argv, timeout=timeout, on_pipeline=on_pipeline
        )
    return Ran(
        loaded,
        libraries[0] if libraries else "cloudpickle",
        built_at[0] if built_at else None,
        refs,
        list(declarations),
        notes,
        set(environ_read),
        by_transform,
    )


@contextlib.contextmanager
def environment_reads() -> Iterator[set[str]]:
    """The names of the environment variables read while the block runs (the script, and the
    libraries it imports): what it imports may depend on them, so the cache entry records
    their values. ``EVERYTHING`` is in the set when the whole environment was read
    (iterated, copied): such a staging is never reused."""
    names: set[str] = set()
    cls = type(os.environ)
    getitem, iterate = cls.__getitem__, cls.__iter__

    def __getitem__(self, key):  # also serves get(), `in` and os.getenv()
        if self is os.environ:
            names.add(key)
        return getitem(self, key)

    def __iter__(self):
        if self is os.environ:
            names.add(EVERYTHING)
        return iterate(self)

    cls.__getitem__, cls.__iter__ = __getitem__, __iter__
    try:
        yield names
    finally:
        cls.__getitem__, cls.__iter__ = getitem, iterate


def payload_references(pipeline: Any, library: str) -> list[tuple[str, str]]:
    """Serialise the pipeline as a runner would and read what each payload imports by name."""
    from beam_deps.pickling import references
    from beam_deps.pipeline.payloads import pickled_by_beam

    refs: dict[tuple[str, str], None] = {}
    for data in pickled_by_beam(pipeline, library):
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
