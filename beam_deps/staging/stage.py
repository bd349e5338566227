"""The staging orchestrator: collect imports -> resolve distributions -> build -> manifest.

``stage()`` produces a directory that stock Beam can ship (``requirements.txt`` and wheels
passed with Beam's own options) and that ``beam-deps-boot`` can verify (the manifest). It is
deterministic (same inputs, same bytes), atomic (built in a temporary sibling and renamed
into place: an interrupted or failed stage never leaves a half-written ``--out`` and never
destroys the previous one) and cached (unchanged inputs reuse the previous result).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from beam_deps.catalogue import diagnostic
from beam_deps.diagnostics import Diagnostic, Severity
from beam_deps.staging import archives, cache, imports, local_code, manifest
from beam_deps.staging.errors import StagingError
from beam_deps.staging.exclusions import Policy
from beam_deps.staging.manifest import MANIFEST_NAME, Artifact
from beam_deps.staging.requires import collecting

if TYPE_CHECKING:
    from beam_deps.staging import requirements as reqs_mod
    from beam_deps.staging.distributions import Environment
    from beam_deps.staging.wheelhouse import Target

# The resolver (packaging, importlib.metadata parsing) is imported only on a cache miss, so a
# warm `beam-deps stage` costs little more than hashing its inputs.

REQUIREMENTS_NAME = "requirements.txt"
_WALK_LIMIT = 5000


@dataclass
class Staging:
    """The result of ``stage()``: where it is, and the Beam options that ship it."""

    out: Path
    pipeline_args: list[str]
    artifacts: list[Artifact]
    requirements: list[str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    sources: list[Artifact] = field(default_factory=list)  # kept in --out, not shipped
    shipped: list[str] = field(default_factory=list)  # local code files, one per line
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    # Requirement lines workers install from the package index when they start: all of them
    # without --wheelhouse, those it has no wheel for with it.
    index_at_boot: list[str] = field(default_factory=list)
    cached: bool = False
    written: bool = True

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def environment_key(self) -> str | None:
        return self.manifest["environment_key"] if self.manifest else None

    def to_json(self) -> dict[str, Any]:
        return {
            "pipeline_args": list(self.pipeline_args),
            "artifacts": [a.to_dict() for a in self.artifacts],
            "requirements": list(self.requirements),
            "sources": [a.to_dict() for a in self.sources],
            "index_at_boot": list(self.index_at_boot),
            "out": str(self.out),
            "environment_key": self.environment_key,
            "cached": self.cached,
            "written": self.written,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }


# ---------------------------------------------------------------------------- entry point
def stage(
    script: str | os.PathLike | None = None,
    out: str | os.PathLike = "beam-deps-staging",
    pipeline_args: Sequence[str] = (),
    wheelhouse: bool = False,
    module: str | None = None,
    worker_requirements: str | os.PathLike | None = None,
    *,
    use_cache: bool = True,
    timeout: float | None = None,
    target: Target | None = None,
    progress: TextIO | None = sys.stderr,
) -> Staging:
    """Stage everything the workers of ``script``'s pipeline need into ``out``.

    The Python form of ``beam-deps stage``: ``script`` (or ``module``, as ``python -m``) is
    run with ``pipeline_args`` until it builds its pipeline, nothing is submitted.
    ``wheelhouse`` also stages wheels of every requirement (``--wheelhouse``);
    ``worker_requirements`` is a pip freeze of the worker image, whose packages are not
    staged; ``target`` (a ``beam_deps.staging.wheelhouse.Target``) is the workers' Python and
    platform when they differ from this machine's. ``use_cache=False`` stages again even
    when the inputs are unchanged; ``timeout`` bounds the script's run in seconds;
    ``progress`` receives the wheelhouse download's progress lines (None: silent).

    Returns a ``Staging`` whose ``pipeline_args`` ship it with stock Beam. Raises
    ``StagingError``/``ScriptError`` (exit 2) when it cannot do its job; problems in the
    pipeline's dependencies are diagnostics. When a diagnostic is an error, nothing is
    written (``written`` is False) and ``out`` is left as it was.
    """
    pipeline_args = list(pipeline_args)
    source, root, package = _resolve_input(script, module)
    out = Path(out).absolute()
    _check_out(out)
    worker_req = Path(worker_requirements).absolute() if worker_requirements else None
    if worker_req is not None and not worker_req.is_file():
        raise StagingError(
            f"--worker-requirements file not found: {worker_requirements}; give a pip freeze "
            "of the worker image"
        )
    if target is not None and target.python and not re.fullmatch(r"\d+\.\d+", target.python):
        raise StagingError(f"--worker-python must look like 3.11, got {target.python!r}")

    closure = imports.closure(source, [root], package)
    if module and package:
        imports.add_local(closure, package[0], root / package[0])
    inputs = {
        "script": str(source) if not module else None,
        "module": module,
        "pipeline_args": pipeline_args,
        "wheelhouse": bool(wheelhouse),
        "worker_requirements": str(worker_req) if worker_req else None,
        "target": [target.python, list(target.platforms)] if target else None,
    }
    cache_key = _cache_key(inputs, closure, worker_req)
    inputs["cache_key"] = cache_key

    if use_cache:
        hit = _from_cache(cache_key, out)
        if hit is not None:
            return hit

    # -- run the script, collect what it imported and what its payloads reference
    from beam_deps.pipeline import load_script
    from beam_deps.staging import requirements as reqs_mod
    from beam_deps.staging.distributions import Environment, worker_image

    payload_refs: list[tuple[str, str]] = []
    libraries: list[str] = []
    built_at: list[tuple[str | None, int | None]] = []  # where each pipeline is constructed
    notes: list[Diagnostic] = []

    def on_pipeline(captured, _loaded):
        libraries.append(captured.pickle_library)
        built_at.append((captured.file, captured.line))
        try:
            payload_refs.extend(_payload_references(captured.pipeline, captured.pickle_library))
        except Exception as exc:  # noqa: BLE001 - `check` reports pickling failures in detail
            notes.append(
                diagnostic(
                    "BD001",
                    "staging could not serialise the pipeline to read what its payloads "
                    f"import ({type(exc).__name__}: {exc}); run `beam-deps check`",
                )
            )

    with collecting() as declarations:
        loaded = load_script(
            None if module else source,
            module=module,
            argv=pipeline_args,
            timeout=timeout,
            on_pipeline=on_pipeline,
        )
    library = libraries[0] if libraries else "cloudpickle"

    declarations = list(declarations) + _user_requirements(pipeline_args)
    runtime_local = _runtime_local_modules(
        loaded.modules_imported, closure, [root, *_user_path(loaded.path_added)]
    )
    needs = _needs(closure, loaded.modules_imported, payload_refs, library)
    env = Environment()
    image = worker_image(env, worker_req)
    local_tops = set(closure.local)
    project_root = root if local_code.is_project(root) else None
    # Build trees go in a sibling of --out: a killed stage leaves nothing in the system temp
    # folder, and the next stage removes it (its name carries the dead pid).
    work = _make_tmp(out, "work")
    try:
        # The project is built before resolving: the modules of its wheel are local code
        # (never a distribution to pin, never "missing on the worker"), and its Requires-Dist
        # are needs, since workers install the wheel with --no-deps.
        project = _build_project(project_root, work, target)
        if project is not None:
            local_tops |= project.tops
            declarations += project.declarations
        declarations = reqs_mod.applicable(declarations, reqs_mod.marker_environment(target))
        resolved = reqs_mod.resolve(needs, env, image, declarations, local_tops)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    skew = _python_skew(target, library, built_at[0] if built_at else (str(source), None))
    diagnostics = notes + skew + resolved.diagnostics

    if any(d.severity is Severity.ERROR for d in diagnostics):
        shutil.rmtree(work, ignore_errors=True)
        return Staging(out, [], [], resolved.lines, diagnostics, written=False)

    # -- build everything in a temporary sibling of --out, then rename it into place
    tmp = None
    try:
        tmp = _make_tmp(out)
        built = _build(
            tmp, closure, root, source, project_root, resolved, env, wheelhouse, target,
            progress, diagnostics, work, project,
        )  # fmt: skip
        artifacts = built["artifacts"]
        data = manifest.build(
            artifacts=artifacts,
            sources=built["sources"],
            requirements=resolved.lines,
            pickle_library=library,
            beam_version=env.version("apache-beam") or "unknown",
            inputs=inputs,
            python=target.python if target else None,
        )
        manifest.write(tmp, data)
        _fix_permissions(tmp)
        _publish(tmp, out)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)

    result = Staging(
        out=out,
        pipeline_args=beam_args(out, artifacts),
        artifacts=artifacts,
        requirements=resolved.lines,
        diagnostics=diagnostics,
        manifest=data,
        sources=built["sources"],
        shipped=built["shipped"],
        excluded=built["excluded"],
        index_at_boot=built["index_at_boot"],
    )
    if use_cache:
        depends = (
            closure.files + built["depends"] + [p for p in runtime_local.values() if p.is_file()]
        )
        cache.store(cache_key, out, _cache_record(result), depends)
    return result


# ---------------------------------------------------------------------------- inputs
def _resolve_input(
    script: str | os.PathLike | None, module: str | None
) -> tuple[Path, Path, list[str]]:
    """(source file, folder local code is found in, package parts for -m)."""
    if (script is None) == (module is None):
        raise StagingError("give either a script path or -m MODULE; e.g. beam-deps stage p.py")
    if script is not None:
        path = Path(script)
        if not path.is_file():
            raise StagingError(f"no such script: {script}; check the path")
        path = path.resolve()
        return path, path.parent, []
    cwd = os.getcwd()
    sys.path.insert(0, cwd)
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as exc:
        raise StagingError(f"cannot find -m {module}: {exc}; check the module name") from None
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(cwd)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise StagingError(f"cannot find -m {module}; run from the folder that contains it")
    parts = module.split(".")
    package = parts if spec.submodule_search_locations else parts[:-1]
    return Path(spec.origin).resolve(), Path(cwd).resolve(), package


def _check_out(out: Path) -> None:
    """Fail early, before any work, if --out cannot be written or would destroy user data.

    The new staging is built in a sibling of --out and renamed into place: the parent folder
    must be writable, and an existing --out must be a folder that can be renamed away."""
    import errno

    try:
        if out.exists() and not out.is_dir():
            raise StagingError(f"--out {out} is a file; choose a directory")
        if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST_NAME).is_file():
            raise StagingError(
                f"--out {out} is not empty and is not a beam-deps staging directory; refusing "
                "to replace it: choose a new or empty directory"
            )
        if out.is_dir():
            _check_replaceable(out)
    except OSError as exc:
        raise StagingError(
            f"cannot read --out {out}: {exc.strerror or exc}; choose another directory"
        ) from None
    probe = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if _inode_flags(out.parent):  # new entries might be made, but never removed again
            raise PermissionError(errno.EPERM, "the folder is immutable or append-only")
        probe = tempfile.mkdtemp(prefix=f".{out.name}.probe-", dir=out.parent)
    except OSError as exc:
        raise StagingError(_unwritable(out, exc)) from None
    finally:
        if probe:
            shutil.rmtree(probe, ignore_errors=True)


def _check_replaceable(out: Path) -> None:
    """Staging puts a new --out in place by renaming: a mount point or a folder marked
    immutable or append-only (``chattr +i``/``+a``) cannot be renamed."""
    if _mount_point(out):
        raise StagingError(
            f"cannot replace --out {out}: it is a mount point, and staging puts the new --out "
            f"in place by renaming it; choose a folder inside it (e.g. --out {out / 'staging'})"
        )
    flags = _inode_flags(out)
    if flags:
        what, letter = ("immutable", "i") if flags & _IMMUTABLE else ("append-only", "a")
        raise StagingError(
            f"cannot replace --out {out}: it is {what} (chattr +{letter}), and staging puts "
            f"the new --out in place by renaming it; run `chattr -{letter} {out}` or choose "
            "another --out"
        )


def _mount_point(path: Path) -> bool:
    """Whether ``path`` itself (not what a symlink points at) is a mount point. A bind mount
    of a folder of the same file system escapes ``os.path.ismount``; Linux's mount table (of
    this process's mount namespace) lists it."""
    if os.path.ismount(path):
        return True
    try:
        table = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    target = os.path.join(os.path.realpath(path.parent), path.name)
    for line in table.splitlines():
        fields = line.split(" ")  # the 5th is the mount point, with octal escapes (\040)
        if len(fields) > 4:
            mount = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[4])
            if mount == target:
                return True
    return False


def _unwritable(out: Path, exc: OSError) -> str:
    """One line on why nothing can be created next to ``out``. The culprit is the parent
    folder (or the nearest one that exists), not ``out``: that is where the new staging is
    built before it is renamed into place."""
    import errno

    folder = next((p for p in out.parents if os.path.lexists(p)), out.parent)
    if not folder.is_dir():
        return f"cannot write --out {out}: {folder} is a file, not a folder; choose another --out"
    if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write --out {out}: {exc.strerror or exc}; choose a writable directory"
    what = "its parent folder" if folder == out.parent else f"{out.parent} cannot be created:"
    return (
        f"cannot write --out {out}: {what} {folder} is not writable ({exc.strerror or exc}); "
        "staging builds the new --out next to it and renames it into place, so that folder "
        "must be writable: make it writable or choose an --out in a writable folder"
    )


def _cache_key(inputs: dict[str, Any], closure: imports.Closure, worker_req: Path | None) -> str:
    from beam_deps import __version__
    from beam_deps.staging.exclusions import rule_files

    local_files = list(closure.files)
    for location in closure.local.values():
        if location.is_dir():
            local_files += [p for p in location.rglob("*") if p.is_file()]
    project = local_code.is_project(closure.root)
    # What ships is decided by the ignore rules too (a .gitignore above the script, inside a
    # shipped package, .git/info/exclude, git's global excludes): a new rule is a new key.
    shipped_trees = [p for p in closure.local.values() if p.is_dir()]
    ignore_rules = rule_files([closure.root], shipped_trees + ([closure.root] if project else []))
    return cache.key(
        {
            "entry": cache.ENTRY_VERSION,
            "beam_deps": __version__,
            "python": sys.version,
            "executable": sys.executable,
            "sys_path": sys.path,
            "cwd": os.getcwd() if inputs["module"] else None,
            "inputs": inputs,
            "files": cache.digest_files([p for p in local_files if "__pycache__" not in p.parts]),
            "worker_requirements": cache.digest_files([worker_req]) if worker_req else None,
            "user_requirements": cache.digest_files(
                [Path(p) for p in _option_values(inputs["pipeline_args"], "--requirements_file")]
            ),
            "epoch": archives.source_date_epoch(),
            "environment": cache.environment_signature(),
            "project": project,
            "ignore_rules": cache.digest_files(ignore_rules),
        }
    )


# ---------------------------------------------------------------------------- needs
def _payload_references(pipeline: Any, library: str) -> list[tuple[str, str]]:
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


def _option_values(args: Sequence[str], name: str) -> list[str]:
    values = []
    for i, arg in enumerate(args):
        if arg.startswith(name + "="):
            values.append(arg.split("=", 1)[1])
        elif arg == name and i + 1 < len(args):
            values.append(args[i + 1])
    return values


def _user_requirements(pipeline_args: Sequence[str]) -> list:
    """Lines of a ``--requirements_file`` the user already passes: our own
    ``--requirements_file`` comes later on the command line and replaces theirs (Beam keeps
    the last one), so their lines are merged in as declarations instead of being lost."""
    from packaging.requirements import InvalidRequirement, Requirement

    from beam_deps.staging.distributions import requirement_entries
    from beam_deps.staging.requires import Declaration

    out = []
    for path in _option_values(pipeline_args, "--requirements_file"):
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


def _user_path(added: list[str]) -> list[Path]:
    """Folders the script put on sys.path (``sys.path.insert(0, "..")`` in a monorepo) that
    hold the user's code, not installed packages."""
    from beam_deps.pickling.locations import is_user_file

    return [Path(p) for p in added if Path(p).is_dir() and is_user_file(str(Path(p) / "x.py"))]


def _runtime_local_modules(
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


def _needs(
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


# ---------------------------------------------------------------------------- building
def _build(
    tmp: Path,
    closure: imports.Closure,
    root: Path,
    script: Path,
    project_root: Path | None,
    resolved: reqs_mod.RequirementSet,
    env: Environment,
    wheelhouse: bool,
    target: Target | None,
    progress: TextIO | None,
    diagnostics: list[Diagnostic],
    work: Path | None = None,
    project: _Project | None = None,
) -> dict[str, Any]:
    artifacts: list[Artifact] = []
    sources: list[Artifact] = []
    shipped: list[str] = []
    excluded: list[tuple[str, str]] = []
    depends: list[Path] = []
    wheels_dir, sdist_dir = tmp / "wheels", tmp / "sdist"
    extra_wheels: list[Path] = []
    from_index = list(resolved.lines)

    if resolved.lines:
        (tmp / REQUIREMENTS_NAME).write_text("".join(f"{x}\n" for x in resolved.lines))
        artifacts.append(manifest.artifact(tmp, tmp / REQUIREMENTS_NAME, "requirements"))

    # Editable / local installs the pipeline needs: wheel snapshots, installed first.
    for name, origin in sorted(resolved.snapshots.items()):
        if origin.path and project_root and origin.path.resolve() == project_root:
            continue  # the project itself: built below
        wheel, files = _snapshot(name, origin, env, wheels_dir, work)
        extra_wheels.append(wheel)
        depends += files
        shipped += [f"{wheel.name}: {m}" for m in local_code.wheel_members(wheel)]

    policy = Policy(root)
    loose = dict(closure.local)
    if project_root is not None:
        if project is not None:  # built by stage() before resolving
            wheel, sdist, skipped = project.copy_to(wheels_dir, sdist_dir)
        else:
            wheel, sdist, skipped = local_code.build_project(
                project_root, wheels_dir, sdist_dir, f"the project in {project_root}", work
            )
        extra_wheels.append(wheel)
        if sdist is not None:
            # Kept for the record (and for PyPI or --setup_file users), not shipped: workers
            # install the wheel; an sdist would be built on every worker.
            sources.append(manifest.artifact(tmp, sdist, "local_sdist"))
        members = local_code.wheel_members(wheel)
        shipped += [_display(_member_source(project_root, m), root, m) for m in members]
        excluded += [(_rel(e.path, root), e.reason) for e in skipped]
        depends += [p for p, why in policy.walk(project_root) if not why and p.is_file()]
        tops = local_code.wheel_top_levels(wheel)
        loose = {t: p for t, p in loose.items() if t not in tops}

    if loose:
        files, skipped = local_code.loose_files(loose, root, policy)
        for top, location in sorted(loose.items()):
            why = policy.reason(location)
            if why:
                diagnostics.append(
                    diagnostic(
                        "BD422",
                        f"local module {top!r} ({_rel(location, root)}) is imported but "
                        f"excluded from staging ({why}); the worker will not have it",
                    )
                )
        excluded += [(_rel(e.path, root), e.reason) for e in skipped]
        if files:
            name = f"{_project_name(root)}_local"
            wheel = local_code.build_loose_wheel(name, files, _mkdir(wheels_dir))
            extra_wheels.append(wheel)
            shipped += [_rel(p, root) for p in files.values()]
            depends += list(files.values())
    if project_root is None:
        excluded += _not_shipped(root, script, set(shipped), policy)

    for wheel in extra_wheels:
        artifacts.append(manifest.artifact(tmp, wheel, "local_wheel"))

    if wheelhouse and resolved.lines:
        from beam_deps.staging import wheelhouse as wh

        wheels, missing = wh.download(
            resolved.lines, tmp / "wheelhouse", target=target, progress=progress
        )
        for w in wheels:
            artifacts.append(manifest.artifact(tmp, w, "wheelhouse"))
        from_index = list(missing)
        for line in missing:
            diagnostics.append(
                diagnostic(
                    "BD421",
                    f"no binary wheel of {line} for the worker's platform is in the "
                    "wheelhouse; workers will install it from the index",
                )
            )
    return {
        "artifacts": artifacts,
        "sources": sources,
        "shipped": sorted(set(shipped)),
        "excluded": sorted(set(excluded)),
        "depends": depends,
        "index_at_boot": from_index,
    }


@dataclass
class _Project:
    """The local project's wheel (and sdist), built before the requirements are resolved."""

    wheel: Path
    sdist: Path | None
    skipped: list
    tops: set[str]  # the wheel's top-level modules: local code, shipped in the wheel
    declarations: list  # its Requires-Dist (markers evaluated for the workers)

    def copy_to(self, wheels_dir: Path, sdist_dir: Path) -> tuple[Path, Path | None, list]:
        wheel = _mkdir(wheels_dir) / self.wheel.name
        shutil.copyfile(self.wheel, wheel)
        sdist = None
        if self.sdist is not None:
            sdist = _mkdir(sdist_dir) / self.sdist.name
            shutil.copyfile(self.sdist, sdist)
        return wheel, sdist, list(self.skipped)


def _build_project(project_root: Path | None, work: Path, target: Target | None) -> _Project | None:
    if project_root is None:
        return None
    from beam_deps.staging import requirements as reqs_mod

    wheel, sdist, skipped = local_code.build_project(
        project_root,
        work / "project-wheel",
        work / "project-sdist",
        f"the project in {project_root}",
        work,
    )
    markers = reqs_mod.marker_environment(target)
    return _Project(
        wheel,
        sdist,
        skipped,
        local_code.wheel_top_levels(wheel),
        reqs_mod.project_declarations(wheel, project_root, markers),
    )


def _python_skew(
    target: Target | None, library: str, at: tuple[str | None, int | None]
) -> list[Diagnostic]:
    """BD405, as `check --worker-python` reports it (at the pipeline's construction): Beam's
    workers refuse a pipeline constructed with another Python minor, and everything here was
    resolved for this one."""
    if target is None or not target.python:
        return []
    from beam_deps.check.detectors.version_skew import version_skew_diagnostics

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


def _project_name(root: Path) -> str:
    """A valid distribution name from the script's folder name (which may be anything)."""
    return re.sub(r"[^a-z0-9]+", "_", root.name.lower()).strip("_") or "pipeline"


def _snapshot(
    name, origin, env: Environment, wheels_dir: Path, work: Path | None = None
) -> tuple[Path, list[Path]]:
    """A wheel of an editable or local install (the worker cannot install it from a line)."""
    _mkdir(wheels_dir)
    path = origin.path
    if origin.kind in ("editable", "local_dir"):
        src = path / origin.subdirectory if (path and origin.subdirectory) else path
        if src is not None and src.is_dir() and local_code.is_project(src):
            wheel, _, _ = local_code.build_project(
                src, wheels_dir, None, f"{name} ({origin.kind} install from {src})", work
            )
            policy = Policy(src)
            return wheel, [p for p, why in policy.walk(src) if not why and p.is_file()]
        if origin.kind == "editable":
            raise StagingError(
                f"{name} is installed in editable mode from {src}, which no longer holds a "
                f"buildable project; reinstall it (pip install {name}) or restore the folder"
            )
    elif origin.kind == "local_archive" and path is not None and path.is_file():
        if path.suffix == ".whl":
            target = wheels_dir / path.name
            shutil.copyfile(path, target)
            return target, [path]
        wheel, _ = local_code.run_build(path, wheels_dir, f"{name} (from {path})", work=work)
        return wheel, [path]
    return local_code.repack_installed(env.dists[name], wheels_dir), []


def _member_source(project_root: Path, member: str) -> Path | None:
    for base in (project_root, project_root / "src", project_root / "lib"):
        candidate = base / member
        if candidate.is_file():
            return candidate
    return None


def _display(path: Path | None, root: Path, fallback: str) -> str:
    return _rel(path, root) if path is not None else fallback


def _rel(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _not_shipped(root: Path, script: Path, shipped: set[str], policy: Policy) -> list:
    """Everything in the script's folder that does not ship, with the reason (for --verbose)."""
    out = []
    for count, (path, why) in enumerate(policy.walk(root)):
        if count >= _WALK_LIMIT:
            out.append((_rel(root, root) + "/...", f"more than {_WALK_LIMIT} files: not listed"))
            break
        rel = _rel(path, root)
        if why:
            out.append((rel, why))
        elif path.is_file() and rel not in shipped:
            if path.resolve() == script:
                out.append((rel, "the script itself: it runs as __main__ and its code travels "
                            "in the payloads"))  # fmt: skip
            else:
                out.append((rel, "not imported by the pipeline"))
    return out


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


# ---------------------------------------------------------------------------- publishing
def beam_args(out: Path, artifacts: list[Artifact]) -> list[str]:
    """Stock Beam options that ship the staging directory.

    ``--requirements_cache=skip`` stops Beam's stager from running ``pip download`` per line;
    wheelhouse wheels travel with ``--files_to_stage`` and land next to
    requirements.txt in the worker's staged folder, where Beam's boot first installs with
    ``--no-index --find-links``. Local wheels are ``--extra_package``s, installed in order.
    """
    args = []
    by_role: dict[str, list[Artifact]] = {}
    for a in artifacts:
        by_role.setdefault(a.role, []).append(a)
    for a in by_role.get("requirements", []):
        args.append(f"--requirements_file={out / a.path}")
    args.append("--requirements_cache=skip")
    for a in by_role.get("local_wheel", []):
        args.append(f"--extra_package={out / a.path}")
    for a in by_role.get("wheelhouse", []):
        args.append(f"--files_to_stage={out / a.path}")
    args.append(f"--files_to_stage={out / MANIFEST_NAME}")
    return args


def _make_tmp(out: Path, purpose: str = "") -> Path:
    """A private sibling of ``out`` (same file system, so the final rename is atomic). Its name
    carries our pid, so leftovers of a killed stage can be recognised and removed later."""
    _remove_stale_temps(out)
    try:
        prefix = f".{out.name}.tmp-{os.getpid()}_{purpose}"
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=out.parent))
    except OSError as exc:
        raise StagingError(_unwritable(out, exc)) from None
    return tmp


def _remove_stale_temps(out: Path) -> None:
    """Remove temporary siblings left by a stage that was killed (its process is gone)."""
    prefix = f".{out.name}.tmp-"
    with contextlib.suppress(OSError):
        for entry in out.parent.iterdir():
            if not entry.name.startswith(prefix) or not entry.is_dir():
                continue
            pid = entry.name[len(prefix) :].split("_", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _fix_permissions(root: Path) -> None:
    root.chmod(0o755)
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _publish(tmp: Path, out: Path) -> None:
    """Put ``tmp`` in place of ``out``. On Linux the two directories are exchanged in one
    atomic ``renameat2(RENAME_EXCHANGE)``: at every instant ``out`` is either the complete old
    or the complete new staging. Elsewhere, two renames; on failure the old ``out`` is put
    back. Afterwards ``tmp`` holds the old contents and the caller removes it. A failure is
    a ``StagingError`` and leaves ``out`` as it was."""
    old = None
    existed = out.exists()
    try:
        if existed and _exchange(tmp, out):
            return
        if existed:
            old = out.with_name(f".{out.name}.old-{uuid.uuid4().hex[:8]}")
            os.replace(out, old)
        try:
            os.replace(tmp, out)
        except BaseException:
            if old is not None:
                _put_back(old, out)
            raise
    except OSError as exc:
        raise StagingError(_replace_problem(out, exc, existed)) from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _put_back(old: Path, out: Path) -> None:
    try:
        os.replace(old, out)
    except OSError as exc:
        raise StagingError(
            f"cannot put the previous --out back after a failed replace ({exc.strerror or exc}): "
            f"it is intact in {old}; rename it to {out}"
        ) from None


def _replace_problem(out: Path, exc: OSError, existed: bool) -> str:
    import errno

    why = exc.strerror or str(exc)
    if not existed:
        return f"cannot write --out {out}: {why}; choose a writable directory"
    if exc.errno == errno.EBUSY:
        hint = (
            "it is a mount point or in use: choose a folder inside it "
            f"(e.g. --out {out / 'staging'})"
        )
    elif exc.errno in (errno.EPERM, errno.EACCES):
        hint = (
            "it cannot be renamed (immutable or append-only, or another user's folder in a "
            "sticky folder such as /tmp): lift the restriction or choose another --out"
        )
    else:
        hint = "choose another --out"
    return f"cannot replace --out {out}: {why}; {out} is unchanged: {hint}"


def _exchange(a: Path, b: Path) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0


_IMMUTABLE, _APPEND_ONLY = 0x10, 0x20  # FS_IMMUTABLE_FL, FS_APPEND_FL (linux/fs.h)


def _inode_flags(path: Path) -> int:
    """Whether ``path`` is immutable or append-only (Linux ``chattr +i``/``+a``): then even
    root cannot rename it or remove entries from it. 0 when unknown or elsewhere."""
    if not sys.platform.startswith("linux"):
        return 0
    import array
    import fcntl
    import struct

    get_flags = 0x80006601 | (struct.calcsize("l") << 16)  # FS_IOC_GETFLAGS: _IOR('f', 1, long)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return 0
    try:
        flags = array.array("i", [0])  # the kernel writes an int
        fcntl.ioctl(fd, get_flags, flags)
    except OSError:
        return 0
    finally:
        os.close(fd)
    return flags[0] & (_IMMUTABLE | _APPEND_ONLY)


# ---------------------------------------------------------------------------- cache
_OUT = "{out}"


def _cache_record(result: Staging) -> dict[str, Any]:
    return {
        "pipeline_args": [a.replace(str(result.out), _OUT) for a in result.pipeline_args],
        "requirements": result.requirements,
        "diagnostics": [d.to_dict() for d in result.diagnostics],
        "shipped": result.shipped,
        "excluded": [list(e) for e in result.excluded],
        "index_at_boot": result.index_at_boot,
    }


def _from_cache(cache_key: str, out: Path) -> Staging | None:
    entry = cache.lookup(cache_key)
    if entry is None:
        return None
    data = manifest.read(entry.out)
    current = None
    with contextlib.suppress(OSError, ValueError):
        current = manifest.read(out)
    same = (
        current is not None
        and current.get("inputs", {}).get("cache_key") == cache_key
        and current == data
        and not manifest.verify(out, current)
    )
    if not same:
        tmp = _make_tmp(out)
        try:
            shutil.rmtree(tmp)
            cache.link_tree(entry.out, tmp)
            _publish(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    record = entry.result
    return Staging(
        out=out,
        pipeline_args=[a.replace(_OUT, str(out)) for a in record["pipeline_args"]],
        artifacts=[Artifact(**a) for a in data["artifacts"]],
        requirements=list(record["requirements"]),
        diagnostics=[_diagnostic_from_dict(d) for d in record["diagnostics"]],
        manifest=data,
        sources=[Artifact(**a) for a in data.get("sources", [])],
        shipped=list(record["shipped"]),
        excluded=[tuple(e) for e in record["excluded"]],
        index_at_boot=list(record.get("index_at_boot", _index_at_boot(data))),
        cached=True,
    )


def _index_at_boot(data: dict[str, Any]) -> list[str]:
    """For a cache entry written before ``index_at_boot`` was recorded."""
    if data.get("inputs", {}).get("wheelhouse"):
        return []  # the missing wheels were reported as BD421
    return list(data.get("requirements", []))


def _diagnostic_from_dict(data: dict[str, Any]) -> Diagnostic:
    data = dict(data)
    data["severity"] = Severity(data["severity"])
    return Diagnostic(**data)
