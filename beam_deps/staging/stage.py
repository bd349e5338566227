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

from beam_deps.diagnostics import Diagnostic, Severity, diagnostic
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
    notes: list[Diagnostic] = []

    def on_pipeline(captured, _loaded):
        libraries.append(captured.pickle_library)
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
    runtime_local = _runtime_local_modules(loaded.modules_imported, closure, root)
    needs = _needs(closure, loaded.modules_imported, payload_refs, library)
    env = Environment()
    image = worker_image(env, worker_req)
    local_tops = set(closure.local)
    resolved = reqs_mod.resolve(needs, env, image, declarations, local_tops)
    diagnostics = notes + resolved.diagnostics

    project_root = root if local_code.is_project(root) else None
    if any(d.severity is Severity.ERROR for d in diagnostics):
        return Staging(out, [], [], resolved.lines, diagnostics, written=False)

    # -- build everything in a temporary sibling of --out, then rename it into place
    tmp = _make_tmp(out)
    # Build trees go in a second sibling: a killed stage leaves nothing in the system temp
    # folder, and the next stage removes both siblings (their names carry the dead pid).
    work = _make_tmp(out, "work")
    try:
        built = _build(
            tmp, closure, root, source, project_root, resolved, env, wheelhouse, target,
            progress, diagnostics, work,
        )  # fmt: skip
        artifacts = built["artifacts"]
        data = manifest.build(
            artifacts=artifacts,
            sources=built["sources"],
            requirements=resolved.lines,
            pickle_library=library,
            beam_version=env.version("apache-beam") or "unknown",
            inputs=inputs,
        )
        manifest.write(tmp, data)
        _fix_permissions(tmp)
        _publish(tmp, out)
    finally:
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
    """Fail early, before any work, if --out cannot be written or would destroy user data."""
    if out.exists() and not out.is_dir():
        raise StagingError(f"--out {out} is a file; choose a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST_NAME).is_file():
        raise StagingError(
            f"--out {out} is not empty and is not a beam-deps staging directory; refusing to "
            "replace it: choose a new or empty directory"
        )
    probe = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=f".{out.name}.probe-", dir=out.parent)
    except OSError as exc:
        raise StagingError(
            f"cannot write --out {out}: {exc.strerror or exc}; choose a writable directory"
        ) from None
    finally:
        if probe:
            shutil.rmtree(probe, ignore_errors=True)


def _cache_key(inputs: dict[str, Any], closure: imports.Closure, worker_req: Path | None) -> str:
    from beam_deps import __version__

    local_files = list(closure.files)
    for location in closure.local.values():
        if location.is_dir():
            local_files += [p for p in location.rglob("*") if p.is_file()]
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
            "project": local_code.is_project(closure.root),
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

    from beam_deps.staging.distributions import requirement_lines
    from beam_deps.staging.requires import Declaration

    out = []
    for path in _option_values(pipeline_args, "--requirements_file"):
        try:
            lines = requirement_lines(path)
        except OSError as exc:
            raise StagingError(
                f"cannot read --requirements_file {path}: {exc.strerror or exc}; fix the path"
            ) from None
        for line in lines:
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue  # a local path or pip option: Beam handles those itself
            if req.url is None:
                out.append(Declaration(line, f"--requirements_file {path}"))
    return out


def _runtime_local_modules(
    modules_imported: set[str], closure: imports.Closure, root: Path
) -> dict[str, Path]:
    """Local modules imported while the script ran that the AST walk did not see
    (``importlib.import_module(name)`` with a computed name, plugins, ...)."""
    found = {}
    for name in sorted(modules_imported):
        top = name.split(".")[0]
        if top in closure.local or imports.is_stdlib(top) or top in found:
            continue
        location = imports.find_local(top, [root])
        if location is not None and not location.name.startswith("."):
            found[top] = location
            imports.add_local(closure, top, location)
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
        raise StagingError(
            f"cannot write --out {out}: {exc.strerror or exc}; choose a writable directory"
        ) from None
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
    back. Afterwards ``tmp`` holds the old contents and the caller removes it."""
    if out.exists() and _exchange(tmp, out):
        return
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        if old is not None:
            os.replace(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


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
