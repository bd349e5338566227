"""Give each group's transforms their own environment in a pipeline proto.

Beam's portability model already carries what is needed: every transform names its
``environment_id``, every environment lists its own dependencies (the artifacts its workers
are provisioned with), fusion never joins transforms of different environments
(``translations.Stage.can_fuse``), and the portable job services start workers per
environment and provision each with that environment's dependencies
(``ExtendedProvisionInfo.for_environment``). So the whole feature on the submitting side is
this rewrite: for each group, a clone of the environment its transforms had (same urn,
payload, capabilities and resource hints; so a ``DOCKER`` or ``EXTERNAL`` environment stays
one) whose dependencies are the group's, and the group's transforms pointed at it.

Only leaf transforms with an environment move: composites are not executed, and transforms
the runner implements (``GroupByKey``, ``Impulse``, ``Flatten``) have none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

PREFIX = "beam-deps-env-"


def split(
    proto: Any,
    placements: Mapping[str, str],
    dependencies: Mapping[str, Sequence[Any]],
) -> dict[str, str]:
    """Rewrite ``proto`` (a ``beam_runner_api_pb2.Pipeline``) in place.

    ``placements`` maps a transform's full label to its group; ``dependencies`` a group to the
    ``ArtifactInformation`` its environment ships. Returns label -> new environment id for
    every transform that moved (labels absent from the proto are ignored: the pipeline may
    have been expanded differently, e.g. a lifted combiner)."""
    environments = proto.components.environments
    clones: dict[tuple[str, str], str] = {}  # (group, environment cloned) -> clone's id
    moved: dict[str, str] = {}
    transforms = proto.components.transforms
    for transform in sorted(transforms.values(), key=lambda t: t.unique_name):
        group = placements.get(transform.unique_name)
        if group is None or not transform.environment_id or transform.subtransforms:
            continue
        base_id = transform.environment_id
        if base_id.startswith(PREFIX):
            continue  # already split (to_runner_api called again on the same proto)
        new_id = clones.get((group, base_id))
        if new_id is None:
            # One clone per environment the group's transforms had (resource hints make
            # several): the first keeps the plain name, readable in runner logs and UIs.
            n = sum(1 for g, _ in clones if g == group)
            new_id = f"{PREFIX}{group}" + (f"-{n + 1}" if n else "")
            clones[group, base_id] = new_id
            clone = environments[new_id]
            clone.CopyFrom(environments[base_id])
            del clone.dependencies[:]
            clone.dependencies.extend(dependencies[group])
        transform.environment_id = new_id
        moved[transform.unique_name] = new_id
    return moved


def environments_of(proto: Any) -> dict[str, list[str]]:
    """Environment id -> labels of its leaf transforms: what a test or a log shows."""
    out: dict[str, list[str]] = {}
    for transform in proto.components.transforms.values():
        if transform.environment_id and not transform.subtransforms:
            out.setdefault(transform.environment_id, []).append(transform.unique_name)
    return {k: sorted(v) for k, v in sorted(out.items())}
