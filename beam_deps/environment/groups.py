"""Which transforms need which environment (per-transform environments).

A transform's needs are the ``@beam_deps.requires`` declarations on it: on its DoFn (or the
function a ``Map``/``FlatMap``/``Filter`` wraps), on its CombineFn, or on an enclosing
composite ``PTransform`` class, which covers every transform inside it. Transforms whose
declarations can be installed together share one environment; only declarations that no
single version satisfies (BD409), or ``@requires(..., own_environment=True)``, give a
transform an environment of its own. Fewer environments means fewer workers to start and
fewer places where the runner has to serialise data between them.

Grouping is deterministic (first fit in pipeline order), so the submitting process and
``beam-deps stage`` compute the same groups with the same names from the same script.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from beam_deps.environment.declarations import (
    Declaration,
    declared_on,
    merge,
    wants_own_environment,
)


@dataclass(frozen=True)
class Group:
    """Transforms that can share one environment, and what that environment adds."""

    name: str  # readable and stable: "mergedeep-1.3.1"; names the environment and its files
    requirements: tuple[str, ...]  # the transforms' declarations, in first-seen order
    transforms: tuple[str, ...]  # full labels of the leaf transforms that run in it
    own: bool = False  # asked for with own_environment=True


def _payload_objects(transform: Any) -> Iterable[Any]:
    """The objects of a transform that a user may have decorated: the transform itself, its
    DoFn, the callable a ``Map``/``FlatMap`` wraps, its CombineFn."""
    yield transform
    for attr in ("fn", "combine_fn", "_fn"):
        inner = getattr(transform, attr, None)
        if inner is None:
            continue
        yield inner
        wrapped = getattr(inner, "_fn", None)  # CallableWrapperDoFn / CallableWrapperCombineFn
        if wrapped is not None:
            yield wrapped
            # Map/Filter/MapTuple wrap the user's function in a lambda and keep it here
            original = getattr(wrapped, "_argspec_fn", None)
            if original is not None:
                yield original


@dataclass(frozen=True)
class Needs:
    """What one transform declares, and whether it asked for an environment of its own."""

    requirements: tuple[str, ...]
    own: bool = False


def declared_by_transform(pipeline: Any) -> dict[str, Needs]:
    """Full label of every leaf transform -> what is declared for it (on itself and on its
    enclosing composites). Leaves without declarations are left out."""
    from apache_beam.pipeline import PipelineVisitor

    found: dict[str, Needs] = {}
    seen: dict[int, Needs] = {}

    def declared(node) -> Needs:
        if id(node) not in seen:
            reqs: list[str] = []
            own = False
            if node.transform is not None:
                for obj in _payload_objects(node.transform):
                    reqs += [r for r in declared_on(obj) if r not in reqs]
                    own = own or wants_own_environment(obj)
            outer = declared(node.parent) if node.parent is not None else Needs(())
            merged = tuple(dict.fromkeys((*outer.requirements, *reqs)))
            seen[id(node)] = Needs(merged, own or outer.own)
        return seen[id(node)]

    class Visitor(PipelineVisitor):
        def visit_transform(self, node) -> None:
            needs = declared(node)
            if needs.requirements:
                found[node.full_label] = needs

    pipeline.visit(Visitor())
    return found


def conflicts(requirements: Iterable[str]) -> list[str]:
    """Distribution names no single version satisfies for these requirements."""
    declarations = [Declaration(r, "group") for r in requirements]
    return [m.name for m in merge(declarations, {}) if m.conflict]


def group(declared: Mapping[str, Needs | tuple[str, ...]], base: Iterable[str] = ()) -> list[Group]:
    """Fold transforms into the fewest compatible groups, first fit in the given order.

    ``base`` (``requires_base``: what every worker needs) joins every group; a transform whose
    own declarations conflict with each other or with ``base`` cannot be helped by a second
    environment, so it is left to the BD409 report of ``check``/``stage``. A transform that
    asked for its own environment shares it only with transforms that declare the same.
    """
    base = tuple(base)
    members: list[tuple[list[str], list[str], bool]] = []  # (requirements, labels, own)
    for label, needs in declared.items():
        if not isinstance(needs, Needs):
            needs = Needs(tuple(needs))
        reqs = needs.requirements
        if conflicts((*base, *reqs)):
            continue
        for requirements, labels, own in members:
            if needs.own or own:
                fits = own and needs.own and set(requirements) == set(reqs)
            else:
                fits = not conflicts((*base, *requirements, *reqs))
            if fits:
                requirements += [r for r in reqs if r not in requirements]
                labels.append(label)
                break
        else:
            members.append((list(reqs), [label], needs.own))
    names: set[str] = set()
    out = []
    for requirements, labels, own in members:
        name = _name(requirements, names)
        names.add(name)
        out.append(Group(name, tuple(requirements), tuple(labels), own))
    return out


# Runners that start workers per environment (the portable job services), and environment
# types whose workers are the submitting process itself (no second environment there).
PORTABLE_RUNNERS = ("PortableRunner", "FlinkRunner", "SparkRunner", "PrismRunner")
LOCAL_ENVIRONMENTS = ("LOOPBACK", "EMBED", "BEAM:ENV:EMBEDDED_PYTHON:V1")


def runner_splits(argv: Iterable[str]) -> bool:
    """Whether the pipeline's options choose a runner that starts workers per environment.

    Elsewhere (the DirectRunner, Dataflow) a conflict stays a BD409 error: staging a second
    environment nobody starts would let a transform run with the wrong version silently.
    """
    from apache_beam.options.pipeline_options import PipelineOptions

    try:
        options = PipelineOptions(list(argv)).get_all_options(retain_unknown_options=False)
    except (Exception, SystemExit):  # noqa: BLE001 - check's BD003 reports what Beam rejects
        return False
    runner = str(options.get("runner") or "").rsplit(".", 1)[-1]
    environment = str(options.get("environment_type") or "").upper()
    return runner in PORTABLE_RUNNERS and environment not in LOCAL_ENVIRONMENTS


def split_groups(
    declared: Mapping[str, Needs], base: Iterable[str] = (), argv: Iterable[str] | None = None
) -> list[Group]:
    """The groups that get environments of their own, or none when one environment holds
    every declaration (the common case: nothing changes) or when ``argv`` names a runner
    that does not start workers per environment."""
    if argv is not None and not runner_splits(argv):
        return []
    groups = group(declared, base)
    return groups if needs_split(groups) else []


def default_declarations(declarations: list[Declaration], groups: list[Group]) -> list:
    """The declarations left for the default environment once ``groups`` have their own:
    pipeline-level ones (``requires_base``), those of no group's transforms, and those of
    the first group, which is compatible with them (``group`` made it so): its environment
    comes out as the default one and its transforms stay there, one environment fewer."""
    first = set(groups[0].requirements) if groups and not groups[0].own else set()
    theirs = {r for g in groups for r in g.requirements} - first
    return [d for d in declarations if d.origin == "pipeline" or d.requirement not in theirs]


def needs_split(groups: list[Group]) -> bool:
    """More than one group (declarations one environment cannot hold), or a group that asked
    for an environment of its own."""
    return len(groups) > 1 or any(g.own for g in groups)


def _name(requirements: list[str], taken: set[str]) -> str:
    """``mergedeep-1.3.1``: each distribution with its pinned version (if any), file- and
    id-safe, short, unique."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    parts: dict[str, str] = {}
    for line in requirements:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        pins = [s.version for s in req.specifier if s.operator in ("==", "===")]
        if pins or name not in parts:
            parts[name] = f"{name}-{pins[0]}" if pins else name
    slug = re.sub(r"[^a-z0-9._-]+", "-", "_".join(sorted(parts.values())).lower())
    if len(slug) > 40:
        digest = hashlib.sha256("\n".join(sorted(requirements)).encode()).hexdigest()[:8]
        slug = f"{slug[:31].rstrip('-_.')}-{digest}"
    name, n = slug or "env", 2
    while name in taken:
        name, n = f"{slug}-{n}", n + 1
    return name
