"""`check` once per staged environment (per-transform environments).

When ``stage`` gave some transforms environments of their own (``environments`` in the top
manifest), the workers of each environment install that environment's files only. One check
with the default environment's options would judge every transform against the default
requirements: a transform moved to another environment could pass while its workers lack
what it imports. So the simulated worker runs once per environment, each time with the stock
Beam options of that environment, and each transform is judged by the run of the environment
it is placed in. Findings that belong to no transform (the pipeline, the script) come from the
default environment's run, so they are reported once.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from beam_deps.check.script import check_script
from beam_deps.diagnostics import Diagnostic, Report


def check_environments(
    script: str | os.PathLike | None,
    staging: str | os.PathLike,
    *,
    argv: Sequence[str],
    default_args: Sequence[str],
    **kwargs: Any,
) -> Report:
    """Check ``script`` against every environment staged in ``staging``.

    ``argv`` are the pipeline's own arguments; ``default_args`` the Beam options of the
    default environment (``Staging.pipeline_args``). ``kwargs`` go to ``check_script``
    (``module``, ``select``, ``timeout``...). Without split environments this is one
    ordinary check.
    """
    from beam_deps.staging import manifest
    from beam_deps.staging.environments import environment_args

    data = manifest.read(Path(staging))
    own = {name: args for name, args in environment_args(Path(staging), data).items() if args}
    report = check_script(script, argv=[*argv, *default_args], **kwargs)
    if not own:
        return report
    envs = data["environments"]
    placed = {label: name for name in own for label in envs[name]["transforms"]}
    found: list[Diagnostic] = [d for d in report.diagnostics if _base(d) not in placed]
    for name, args in own.items():
        theirs = check_script(script, argv=[*argv, *args], **kwargs)
        for d in theirs.diagnostics:
            if placed.get(_base(d)) == name:
                d.extra = dict(d.extra or {}, environment=name)
                found.append(d)
    return dataclasses.replace(report, diagnostics=found)


def staged_split(argv: Sequence[str]) -> tuple[Path, list[str], list[str]] | None:
    """``(staging folder, the pipeline's own arguments, the default environment's options)``
    when ``argv`` carries the options `beam-deps stage` printed for a staging that gives
    some transforms environments of their own; else None.

    Why: `stage` prints those options for ``python -m beam_deps.split``; a user who pastes
    them after `beam-deps check -- ...` expects each transform to be judged against the
    environment it will run in, as `beam-deps run` does. The staging is found by its
    manifest among ``--files_to_stage``; the default environment's options are taken out of
    ``argv`` (as `stage` wrote them) so each environment's run gets its own options only.
    """
    from beam_deps.staging import manifest
    from beam_deps.staging.result import beam_args

    for arg in argv:
        key, _, value = arg.partition("=")
        if key != "--files_to_stage" or os.path.basename(value) != manifest.MANIFEST_NAME:
            continue
        out = Path(value).parent
        try:
            data = manifest.read(out)
        except (OSError, ValueError):
            return None  # check's staged-options reading reports an unreadable staging
        if not any(not env.get("default") for env in (data.get("environments") or {}).values()):
            return None
        artifacts = [manifest.Artifact(**a) for a in data.get("artifacts", [])]
        default = beam_args(out, artifacts)
        own = [a for a in argv if a not in default]
        return out, own, default
    return None


def check_script_environments(
    script: str | os.PathLike | None, *, argv: Sequence[str], **kwargs: Any
) -> Report:
    """``check_script``, once per staged environment when ``argv`` ships a split staging
    (``staged_split``): what `beam-deps check` runs."""
    found = staged_split(argv)
    if found is None:
        return check_script(script, argv=argv, **kwargs)
    out, own, default = found
    return check_environments(script, out, argv=own, default_args=default, **kwargs)


def _base(d: Diagnostic) -> str | None:
    """The leaf transform a finding is about (its full label), if any."""
    return d.transform or None
