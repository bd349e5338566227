"""The pipeline's ``--requirements_file`` against the worker image.

Beam's stager ships the file as written, and every worker ``pip install``s it when it starts,
minutes after the job was accepted. So a broken file is found late and everywhere at once: a
missing file fails the submission (BD414); two requirements no single version satisfies, or one
that contradicts what apache-beam (or another package of the image) requires, make pip fail or
break Beam on every worker (BD409); a pin that replaces the image's copy of a package (BD410),
or that excludes the version installed here (BD420), ships code the pipeline was not checked
with. The rules are the ones ``beam-deps stage`` applies to declared requirements
(``beam_deps.environment.rules``), so both commands judge a requirement the same way.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from beam_deps.catalogue import diagnostic
from beam_deps.diagnostics import Diagnostic

if TYPE_CHECKING:
    from beam_deps.environment.declarations import Declaration, Merged
    from beam_deps.environment.distributions import Environment, RequirementLine, WorkerImage
    from beam_deps.environment.workers import WorkerModel


def requirements_file_diagnostics(
    options: Any,
    worker_requirements: str | os.PathLike | None = None,
    model: WorkerModel | None = None,
) -> list[Diagnostic]:
    """What pip would make of the pipeline's requirements file on a worker.

    ``model`` is the worker model the runner gets (``beam_deps.environment.workers``);
    without it, ``worker_requirements`` (a freeze of the worker image, check's
    ``--worker-requirements``) or else the local model: apache-beam and its dependency closure.
    """
    from apache_beam.options.pipeline_options import SetupOptions

    path = options.view_as(SetupOptions).requirements_file
    if path is None:  # Beam's stager tests `is not None`: an empty path fails too
        return []
    if not os.path.isfile(path):
        return [
            diagnostic(
                "BD414",
                f"--requirements_file {path!r} does not exist (looked for from {os.getcwd()}): "
                f"Beam's stager stops the submission with 'The file {path} cannot be found'",
            )
        ]

    from beam_deps.environment.distributions import Environment, requirement_entries, worker_image

    try:
        entries = requirement_entries(path)
    except (OSError, UnicodeDecodeError) as exc:
        return [
            diagnostic(
                "BD414",
                f"--requirements_file {path} cannot be read: {exc}; pip fails on it the same way",
                file=os.path.abspath(path),
            )
        ]
    declared = _declarations(entries)
    if not declared:
        return []
    env = Environment()
    image = model.packages(env) if model else worker_image(env, worker_requirements)
    return _compare(declared, env, image)


def _declarations(entries: list[RequirementLine]) -> dict[str, tuple[Declaration, RequirementLine]]:
    """origin ("file:line") -> the requirement pip would install on the worker, and its line.

    Lines that are no requirement of an index package (local paths, URLs, VCS links) and
    requirements whose marker excludes this interpreter are left to pip."""
    from packaging.requirements import InvalidRequirement, Requirement

    from beam_deps.environment.declarations import Declaration

    out = {}
    for entry in entries:
        try:
            req = Requirement(entry.text)
        except InvalidRequirement:
            continue
        if req.url is not None or (req.marker is not None and not req.marker.evaluate()):
            continue
        origin = f"{entry.file}:{entry.line}"
        out[origin] = (Declaration(entry.text, origin), entry)
    return out


def _compare(
    declared: dict[str, tuple[Declaration, RequirementLine]], env: Environment, image: WorkerImage
) -> list[Diagnostic]:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    from beam_deps.environment.declarations import merge
    from beam_deps.environment.rules import (
        conflict_diagnostic,
        declared_version_diagnostics,
        image_requirements,
    )

    decls = [d for d, _ in declared.values()]
    names = {canonicalize_name(Requirement(d.requirement).name) for d in decls}
    installed = {name: env.version(name) for name in names}
    own = {m.name: m for m in merge(decls, installed)}
    with_image = {m.name: m for m in merge(decls + image_requirements(env, image, own), installed)}
    out: list[Diagnostic] = []
    for name, mine in sorted(own.items()):
        entry = declared[mine.origins[-1].origin][1]  # the last line wins the blame
        display = env.display_name(name) if env.version(name) else _display(mine)
        both = with_image[name]
        if both.conflict:
            found = [conflict_diagnostic(both)]
            found[0].fix = _conflict_fix(display, both, image, within_file=mine.conflict)
        else:
            found = declared_version_diagnostics(display, mine, env.version(name), image)
        for d in found:
            d.file, d.line = os.path.abspath(entry.file), entry.line
        out += found
    return out


def _display(declared: Merged) -> str:
    from packaging.requirements import Requirement

    return Requirement(declared.origins[0].requirement).name


def _conflict_fix(display: str, declared: Merged, image: WorkerImage, within_file: bool) -> str:
    required = [d.requirement for d in declared.origins if d.origin.startswith("required by")]
    if within_file or not required:
        return (
            f"Keep one requirement for {display} in the file: pip installs every line into the "
            "worker's one environment and refuses two versions of a distribution."
        )
    have = image.version(display)
    keep = f"; the image has {display}=={have}" if have else ""
    return (
        f"Require a version of {display} the worker image's packages accept "
        f"({', '.join(required)}{keep}), or drop the line and use the image's copy."
    )
