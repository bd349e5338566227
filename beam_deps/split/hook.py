"""Apply per-transform environments to a pipeline when its runner serialises it.

Runners call ``pipeline.to_runner_api(default_environment=...)`` once they know the default
environment (``Environment.from_options``, whose dependencies Beam's stager made from the
pipeline options). ``use_environments`` wraps that call on one pipeline object: after Beam
built the proto, each group of transforms (``groups.group``) gets a clone of its environment
whose dependencies are made by the same stager from the same options with that group's
staging options in place of the pipeline's (``--requirements_file`` and friends). Everything
else (the local code wheels, the manifest, the SDK) is shared, and every Beam code path
downstream (artifact staging, the job service, fusion, worker start-up) sees an ordinary
multi-environment pipeline.

Where it applies: runners that start workers per environment (``PortableRunner`` and its
Flink, Spark and Prism subclasses, with ``EXTERNAL``, ``DOCKER`` or ``PROCESS`` workers).
Runners that run every transform in the submitting process (the DirectRunner, ``LOOPBACK``,
``EMBED``) are left alone with a warning: there is no second environment there. Dataflow is
refused unless asked for explicitly: it stages artifacts by their staged name
(``requirements.txt`` of two environments would collide) and its behaviour for two Python
environments on one image is not documented.
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from beam_deps.environment.groups import (
    LOCAL_ENVIRONMENTS,
    Group,
    declared_by_transform,
    group,
    needs_split,
)
from beam_deps.errors import UsageError
from beam_deps.split import proto as proto_mod

_LOG = logging.getLogger("beam_deps.split")

# Beam options whose files make an environment's dependencies.
STAGING_OPTIONS = ("requirements_file", "extra_packages", "files_to_stage", "setup_file")
# Set by `install_for_process` (``beam-deps run``): a script's own ``use_environments(p)``
# then uses the staging ``run`` made.
_process: dict[str, Any] | None = None


def runner_kind(pipeline: Any) -> str:
    """``portable`` (workers per environment), ``dataflow`` or ``local`` (one process)."""
    from apache_beam.runners.portability.portable_runner import PortableRunner

    runner = pipeline.runner
    if type(runner).__name__ == "DataflowRunner":
        return "dataflow"
    if isinstance(runner, PortableRunner):
        from apache_beam.options.pipeline_options import PortableOptions

        env_type = (pipeline.options.view_as(PortableOptions).environment_type or "").upper()
        return "local" if env_type in LOCAL_ENVIRONMENTS else "portable"
    return "local"


def use_environments(
    pipeline: Any,
    staging: str | os.PathLike | Mapping[str, Sequence[str] | None] | None = None,
    *,
    base: Sequence[str] = (),
    always: bool = False,
    experimental_dataflow: bool = False,
) -> bool:
    """Give each compatible group of ``@requires``-declaring transforms its own environment
    when ``pipeline`` is submitted. Call it any time before ``run()`` (also inside a
    ``with beam.Pipeline() as p:`` block: the groups are computed at submission, when every
    transform is applied).

    ``staging`` is the folder ``beam-deps stage --out`` wrote (its manifest lists every
    environment), or a mapping of group name to the Beam staging options of its environment;
    without it, a group's environment installs the
    pipeline's ``--requirements_file`` with the group's declarations in place of the lines
    for the same distributions. ``base`` are the pipeline-level declarations
    (``requires_base``), added to every group. The split happens only when declarations
    conflict, unless ``always``. Returns whether the hook was installed (False: a runner
    without per-environment workers, which is logged).
    """
    kind = runner_kind(pipeline)
    if kind == "dataflow" and not experimental_dataflow:
        raise UsageError(
            "per-transform environments are not supported on Dataflow (artifacts are staged "
            "by name, and two Python environments on one image are undocumented); run on a "
            "portable runner, or opt in with experimental_dataflow=True / "
            "--experimental-dataflow-environments (see the dependencies page)"
        )
    if kind == "local":
        _LOG.warning(
            "beam-deps: per-transform environments have no effect on %s: every transform "
            "runs in this process's environment (use --runner=PortableRunner with EXTERNAL, "
            "DOCKER or PROCESS workers)",
            type(pipeline.runner).__name__,
        )
        return False
    if staging is None and _process is not None:  # under `beam-deps run`: its staging
        staging = _process.get("staging")
    staging_args = staging
    if isinstance(staging, (str, os.PathLike)):
        from beam_deps.staging.environments import environment_args

        try:
            staging_args = environment_args(Path(staging))
        except (OSError, ValueError, KeyError) as exc:
            raise UsageError(
                f"cannot read the environments staged in {staging} ({exc}); run "
                "`beam-deps stage` again"
            ) from None
    if getattr(pipeline, "_beam_deps_split", False):
        return True
    pipeline._beam_deps_split = True
    original = pipeline.to_runner_api
    made: dict[str, list] = {}  # group -> its dependencies, made once per pipeline
    workdir = tempfile.mkdtemp(prefix="beam-deps-envs-")

    def to_runner_api(*args, **kwargs):
        result = original(*args, **kwargs)
        if kwargs.get("default_environment") is None:
            # Not a runner submitting it (runners pass their default environment): e.g.
            # `beam-deps check`/`stage` reading the payloads. Nothing to split.
            return result
        proto = result[0] if isinstance(result, tuple) else result
        groups = group(declared_by_transform(pipeline), base)
        if not groups or not (always or needs_split(groups)):
            return result
        for g in groups:
            if staging_args is not None and g.name not in staging_args:
                raise UsageError(
                    f"the pipeline needs an environment for {', '.join(g.requirements)} "
                    f"({', '.join(g.transforms)}) that the staging does not have; run "
                    "`beam-deps stage` again"
                )
            if staging_args is not None and staging_args[g.name] is None:
                continue  # staged as the default environment: its transforms stay there
            if g.name not in made:
                made[g.name] = dependencies(
                    pipeline.options,
                    g,
                    (staging_args or {}).get(g.name),
                    base,
                    os.path.join(workdir, g.name),
                    unique_names=kind == "dataflow",
                )
        placements = {label: g.name for g in groups if g.name in made for label in g.transforms}
        moved = proto_mod.split(proto, placements, made)
        for g in groups:
            if g.name in made:
                where = f"environment {g.name}"
                labels = [label for label in g.transforms if label in moved]
            else:
                where, labels = "the default environment", list(g.transforms)
            _LOG.info(
                "beam-deps: %s (%s) for %s", where, ", ".join(g.requirements), ", ".join(labels)
            )
        return result

    pipeline.to_runner_api = to_runner_api
    import atexit

    atexit.register(shutil.rmtree, workdir, True)
    return True


def dependencies(
    options: Any,
    g: Group,
    args: Sequence[str] | None,
    base: Sequence[str],
    workdir: str,
    *,
    unique_names: bool = False,
) -> list:
    """The ``ArtifactInformation`` of ``g``'s environment, made by Beam's own stager from the
    pipeline's options with the group's staging options in place."""
    from apache_beam.options.pipeline_options import PipelineOptions, SetupOptions
    from apache_beam.transforms.environments import python_sdk_dependencies

    os.makedirs(workdir, exist_ok=True)
    clone = copy.deepcopy(options)
    setup = clone.view_as(SetupOptions)
    if args is not None:
        for key, value in PipelineOptions(list(args)).get_all_options(drop_default=True).items():
            if key in STAGING_OPTIONS or key == "requirements_cache":
                setattr(setup, key, value)
    else:
        path = os.path.join(workdir, "requirements.txt")
        with open(path, "w") as out:
            out.writelines(f"{line}\n" for line in requirements_for(g, setup, base))
        setup.requirements_file = path
    staged = os.path.join(workdir, "staged")
    os.makedirs(staged, exist_ok=True)
    artifacts = python_sdk_dependencies(clone, tmp_dir=staged)
    if unique_names:
        artifacts = [_renamed(a, g.name) for a in artifacts]
    return artifacts


def requirements_for(g: Group, setup: Any, base: Sequence[str]) -> list[str]:
    """The pipeline's ``--requirements_file`` lines, except those for a distribution the
    group declares, then ``base`` and the group's declarations."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    def name(line: str) -> str | None:
        try:
            return canonicalize_name(Requirement(line).name)
        except InvalidRequirement:
            return None

    declared = {name(r) for r in (*base, *g.requirements)}
    lines: list[str] = []
    if setup.requirements_file:
        from beam_deps.requirements_files import requirement_lines

        lines = requirement_lines(setup.requirements_file)
        lines = [line for line in lines if name(line) not in declared]
    return [*lines, *dict.fromkeys((*base, *g.requirements))]


def _renamed(artifact: Any, group_name: str) -> Any:
    """Dataflow stages every environment's files into one folder by staged name: prefix the
    group so nothing collides (only beam-deps-boot, reading the manifest, installs these)."""
    from apache_beam.portability import common_urns
    from apache_beam.portability.api import beam_runner_api_pb2

    if artifact.role_urn != common_urns.artifact_roles.STAGING_TO.urn:
        return artifact
    role = beam_runner_api_pb2.ArtifactStagingToRolePayload.FromString(artifact.role_payload)
    renamed = copy.deepcopy(artifact)
    renamed.role_payload = beam_runner_api_pb2.ArtifactStagingToRolePayload(
        staged_name=f"{group_name}--{role.staged_name}"
    ).SerializeToString()
    return renamed


def install_for_process(
    staging: str | os.PathLike | Mapping[str, Sequence[str] | None] | None = None,
    *,
    base: Callable[[], Sequence[str]] = tuple,
    **kwargs: Any,
) -> None:
    """``use_environments`` for every pipeline this process runs: for ``beam-deps run``,
    which starts the user's script unchanged. Patches ``Pipeline.run`` for the life of the
    process; ``base`` is called at each run for the pipeline-level declarations made so far
    (``requires_base`` runs when the script's module is imported)."""
    from apache_beam.pipeline import Pipeline

    global _process
    _process = {"staging": staging}
    original = Pipeline.run
    if getattr(original, "__beam_deps_split__", False):
        return

    def run(self, *args, **kw):
        use_environments(self, staging, base=tuple(base()), **kwargs)
        return original(self, *args, **kw)

    run.__beam_deps_split__ = True
    Pipeline.run = run


__all__ = ["Group", "install_for_process", "runner_kind", "use_environments"]
