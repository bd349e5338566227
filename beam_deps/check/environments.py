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


def _base(d: Diagnostic) -> str | None:
    """The leaf transform a finding is about (its full label), if any."""
    return d.transform or None
