"""The stage cache's record: the key computed before running anything, what a finished
staging stores beside its files, and a ``Staging`` rebuilt from a hit.

``beam_deps.staging.cache`` is the content-addressed store; this module decides what goes
into the key (script, local files, ignore rules, options, installed distributions) and what a
hit must give back so that a reused staging reads exactly like a fresh one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from beam_deps.diagnostics import Diagnostic, Severity
from beam_deps.staging import archives, cache, imports, local_code, manifest
from beam_deps.staging.errors import StagingError
from beam_deps.staging.manifest import Artifact
from beam_deps.staging.needs import option_values
from beam_deps.staging.publish import make_tmp, publish, write_problem
from beam_deps.staging.result import Staging


def cache_key(inputs: dict[str, Any], closure: imports.Closure, worker_req: Path | None) -> str:
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
                [Path(p) for p in option_values(inputs["pipeline_args"], "--requirements_file")]
            ),
            "epoch": archives.source_date_epoch(),
            "environment": cache.environment_signature(),
            "project": project,
            "ignore_rules": cache.digest_files(ignore_rules),
        }
    )


_OUT = "{out}"


def record(result: Staging) -> dict[str, Any]:
    return {
        "pipeline_args": [a.replace(str(result.out), _OUT) for a in result.pipeline_args],
        "requirements": result.requirements,
        "diagnostics": [d.to_dict() for d in result.diagnostics],
        "shipped": result.shipped,
        "excluded": [list(e) for e in result.excluded],
        "index_at_boot": result.index_at_boot,
    }


def from_cache(key: str, out: Path) -> Staging | None:
    entry = cache.lookup(key)
    if entry is None:
        return None
    data = manifest.read(entry.out)
    current = None
    with contextlib.suppress(OSError, ValueError):
        current = manifest.read(out)
    same = (
        current is not None
        and current.get("inputs", {}).get("cache_key") == key
        and current == data
        and not manifest.verify(out, current)
    )
    if not same:
        tmp = make_tmp(out)
        try:
            shutil.rmtree(tmp)
            cache.copy_tree(entry.out, tmp)
            publish(tmp, out)
        except OSError as exc:  # a full disk: one line, and --out is as it was
            raise StagingError(write_problem(out, exc)) from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    stored = entry.result
    return Staging(
        out=out,
        pipeline_args=[a.replace(_OUT, str(out)) for a in stored["pipeline_args"]],
        artifacts=[Artifact(**a) for a in data["artifacts"]],
        requirements=list(stored["requirements"]),
        diagnostics=[_diagnostic_from_dict(d) for d in stored["diagnostics"]],
        manifest=data,
        sources=[Artifact(**a) for a in data.get("sources", [])],
        shipped=list(stored["shipped"]),
        excluded=[tuple(e) for e in stored["excluded"]],
        index_at_boot=list(stored["index_at_boot"]),
        cached=True,
    )


def _diagnostic_from_dict(data: dict[str, Any]) -> Diagnostic:
    data = dict(data)
    data["severity"] = Severity(data["severity"])
    return Diagnostic(**data)
