"""The staging orchestrator: collect imports -> resolve distributions -> build -> manifest ->
publish.

``stage()`` produces a directory that stock Beam can ship (``requirements.txt`` and wheels
passed with Beam's own options) and that ``beam-deps-boot`` can verify (the manifest). It is
deterministic (same inputs, same bytes), atomic (built in a temporary sibling and renamed
into place: an interrupted or failed stage never leaves a half-written ``--out`` and never
destroys the previous one) and cached (unchanged inputs reuse the previous result).

Each step lives in its own module: ``needs`` (what the pipeline needs), ``build`` (what is
written), ``record`` (the cache key and record), ``publish`` (``--out`` safety, the atomic
swap). This module only runs them in order.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from beam_deps.diagnostics import Diagnostic, Severity
from beam_deps.staging import (
    cache,
    environments,
    imports,
    local_code,
    manifest,
    needs,
    publish,
    record,
)
from beam_deps.staging.build import Plan, build, build_project
from beam_deps.staging.errors import StagingError
from beam_deps.staging.result import Staging, beam_args

if TYPE_CHECKING:
    from beam_deps.staging.wheelhouse import Target

__all__ = ["Staging", "beam_args", "stage"]

# The resolver (packaging, importlib.metadata parsing) is imported only on a cache miss, so a
# warm `beam-deps stage` costs little more than hashing its inputs.


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
    static_fallback: bool = False,
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
    ``static_fallback`` (``package list``, ``requirements``): when the script stops before
    building its pipeline (its own required arguments missing), use its import closure alone
    and say so in ``Staging.static``; nothing is cached then.

    Returns a ``Staging`` whose ``pipeline_args`` ship it with stock Beam. Raises
    ``StagingError``/``ScriptError`` (exit 2) when it cannot do its job; problems in the
    pipeline's dependencies are diagnostics. When a diagnostic is an error, nothing is
    written (``written`` is False) and ``out`` is left as it was.
    """
    pipeline_args = list(pipeline_args)
    source, root, package = _resolve_input(script, module)
    out = Path(out).absolute()
    publish.check_out(out)
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
    cache_key = record.cache_key(inputs, closure, worker_req)
    inputs["cache_key"] = cache_key
    if use_cache:
        hit = record.from_cache(cache_key, out)
        if hit is not None:
            return hit

    # -- run the script: what it imported, declared and read, what its payloads reference
    from beam_deps.environment.distributions import Environment
    from beam_deps.environment.groups import default_declarations, split_groups
    from beam_deps.environment.workers import model_for_argv
    from beam_deps.pipeline import ScriptError
    from beam_deps.staging import requirements as reqs_mod

    static = None
    try:
        ran = needs.run_script(None if module else source, module, pipeline_args, timeout)
    except ScriptError as exc:
        if not static_fallback:
            raise
        static = str(exc)  # what the script did instead; the closure alone is what we know
        ran = needs.Ran(needs.NOTHING_LOADED, "cloudpickle", None)
    loaded, library = ran.loaded, ran.library
    declarations = ran.declarations + needs.user_requirements(pipeline_args)
    # Per-transform environments: declarations one environment cannot hold, on a runner that
    # starts workers per environment, give their transforms environments of their own; the
    # default environment keeps the rest (environment/groups.py).
    groups = split_groups(
        ran.by_transform,
        [d.requirement for d in ran.declarations if d.origin == "pipeline"],
        pipeline_args,
    )
    if groups:
        declarations = default_declarations(declarations, groups)
    runtime_local = needs.runtime_local_modules(
        loaded.modules_imported, closure, [root, *needs.user_path(loaded.path_added)]
    )
    needed = needs.needs(closure, loaded.modules_imported, ran.payload_refs, library)
    env = Environment()
    # the runner's workers: Beam's SDK image (Dataflow, DOCKER), local processes, or the freeze
    image = model_for_argv(pipeline_args, worker_requirements=worker_req).packages(env)
    local_tops = set(closure.local)
    project_root = root if local_code.is_project(root) else None
    # Build trees go in a sibling of --out: a killed stage leaves nothing in the system temp
    # folder, and the next stage removes it (its name carries the dead pid).
    work = publish.make_tmp(out, "work")
    try:
        # The project is built before resolving: the modules of its wheel are local code
        # (never a distribution to pin, never "missing on the worker"), and its Requires-Dist
        # are needs, since workers install the wheel with --no-deps.
        project = build_project(project_root, work, target)
        if project is not None:
            local_tops |= project.tops
            declarations += project.declarations
        declarations = reqs_mod.applicable(declarations, reqs_mod.marker_environment(target))
        resolved = reqs_mod.resolve(needed, env, image, declarations, local_tops)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    at = ran.built_at or (str(source), None)
    diagnostics = ran.notes + needs.python_skew(target, library, at) + resolved.diagnostics
    _place(diagnostics, at)
    if any(d.severity is Severity.ERROR for d in diagnostics):
        shutil.rmtree(work, ignore_errors=True)
        return Staging(out, [], [], resolved.lines, diagnostics, written=False)

    # -- build everything in a temporary sibling of --out, then swap it into place
    plan = Plan(closure, root, source, resolved, env, project, wheelhouse, target, progress, work)
    tmp = None
    try:
        tmp = publish.make_tmp(out)
        built = build(tmp, plan)
        diagnostics += _place(built.diagnostics, at)
        data = manifest.build(
            artifacts=built.artifacts,
            sources=built.sources,
            requirements=resolved.lines,
            pickle_library=library,
            beam_version=env.version("apache-beam") or "unknown",
            inputs=dict(inputs, pipeline_args=manifest.redact_options(pipeline_args)),
            python=target.python if target else None,
        )
        if groups:
            data = environments.build(
                tmp, groups, data, built.artifacts, resolved.lines, image=image,
                wheelhouse=wheelhouse, target=target, progress=progress,
            )  # fmt: skip
        manifest.write(tmp, data)
        publish.fix_permissions(tmp)
        publish.publish(tmp, out)
    except OSError as exc:  # a full disk, a quota: one line, and --out is as it was
        raise StagingError(publish.write_problem(out, exc)) from None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)

    result = Staging(
        out=out,
        pipeline_args=beam_args(out, built.artifacts),
        artifacts=built.artifacts,
        requirements=resolved.lines,
        diagnostics=diagnostics,
        manifest=data,
        sources=built.sources,
        shipped=built.shipped,
        excluded=built.excluded,
        index_at_boot=built.index_at_boot,
        static=static,
    )
    if use_cache and static is None:
        depends = closure.files + built.depends
        depends += [p for p in runtime_local.values() if p.is_file()]
        cache.store(cache_key, out, record.record(result), depends, ran.environ_read)
    return result


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


def _place(diagnostics: list[Diagnostic], at: tuple[str | None, int | None]) -> list[Diagnostic]:
    """A finding about the whole pipeline (no file, transform or object path of its own) is
    shown where the pipeline is constructed, never as a bare ``<object>``."""
    for d in diagnostics:
        if not (d.file or d.transform or d.path):
            d.file, d.line = at
    return diagnostics
