"""BD409 in `check`: ``@requires`` declarations that no single environment can hold.

``stage`` refuses to stage such declarations; `check` says the same before anything is
staged, so the user learns it from the pre-flight tool they run first. On a runner that
starts workers per environment (``environment.groups.runner_splits``) the conflicting groups
get environments of their own under ``beam-deps run`` or ``python -m beam_deps.split``, so
there the conflict is not an error: the grouping is what will happen, and nothing is
reported. Declarations that conflict within one transform cannot be split and stay BD409
everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from beam_deps.diagnostics import Diagnostic


def declared_conflicts(
    declarations: Sequence[Any], pipelines: Sequence[Any], argv: Sequence[str]
) -> list[Diagnostic]:
    """BD409 for each distribution whose declarations (``staging.requires.Declaration``)
    conflict, unless the runner gives the conflicting transforms environments of their own."""
    if not declarations:
        return []
    from beam_deps.environment.declarations import merge
    from beam_deps.environment.groups import (
        declared_by_transform,
        default_declarations,
        split_groups,
    )
    from beam_deps.environment.rules import conflict_diagnostic

    declarations = list(declarations)
    base = [d.requirement for d in declarations if d.origin == "pipeline"]
    for pipeline in pipelines:
        groups = split_groups(declared_by_transform(pipeline), base, argv)
        if groups:  # what stage does: the default environment keeps what fits together
            declarations = default_declarations(declarations, groups)
    return [conflict_diagnostic(m) for m in merge(declarations, {}) if m.conflict]
