"""Per-transform environments: two transforms that need incompatible packages, one pipeline.

Beam's portability model gives every transform an ``environment_id`` and every environment
its own dependencies; fusion never crosses environments and portable job services start and
provision workers per environment. This room uses that: transforms whose
``@beam_deps.requires`` declarations cannot share one environment are given one each
(``beam_deps.environment.groups``: who goes where, shared with ``stage``; ``proto``: the
rewrite of the pipeline proto; ``hook``: when a runner serialises the pipeline; ``__main__``:
the launcher ``beam-deps run`` starts an unchanged script with).

For ``python pipeline.py`` users::

    import beam_deps.split
    with beam.Pipeline(options=options) as p:
        ...
        beam_deps.split.use_environments(p)  # or (p, "build/staging") after beam-deps stage
"""

from beam_deps.environment.groups import Group, declared_by_transform, group
from beam_deps.split.hook import install_for_process, runner_kind, use_environments

__all__ = [
    "Group",
    "declared_by_transform",
    "group",
    "install_for_process",
    "runner_kind",
    "use_environments",
]
