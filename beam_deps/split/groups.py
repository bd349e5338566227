"""Which transforms need which environment.

A transform's needs are the ``@beam_deps.requires`` declarations on it: on its DoFn (or the
function a ``Map``/``FlatMap``/``Filter`` wraps), on its CombineFn, or on an enclosing
composite ``PTransform`` class, which covers every transform inside it. Transforms whose
declarations can be installed together share one environment; only declarations that no
single version satisfies (BD409) force a second one. Fewer environments means fewer workers
to start and fewer places where the runner has to serialise data between them.

Grouping is deterministic (first fit in pipeline order), so the submitting process and
``beam-deps stage`` compute the same groups with the same names from the same script.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from beam_deps.environment.declarations import Declaration, merge
from beam_deps.staging.requires import declared_on


@dataclass(frozen=True)
class Group:
    """Transforms that can share one environment, and what that environment adds."""

    name: str  # readable and stable: "mergedeep-1.3.1"; names the environment and its files
    requirements: tuple[str, ...]  # the transforms' declarations, in first-seen order
    transforms: tuple[str, ...]  # full labels of the leaf transforms that run in it


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


def declared_by_transform(pipeline: Any) -> dict[str, tuple[str, ...]]:
    """Full label of every leaf transform -> the requirements declared for it (its own and
    its enclosing composites'). Leaves without declarations are left out."""
    from apache_beam.pipeline import PipelineVisitor

    found: dict[str, tuple[str, ...]] = {}
    own: dict[int, tuple[str, ...]] = {}

    def declared(node) -> tuple[str, ...]:
        if id(node) not in own:
            reqs: list[str] = []
            if node.transform is not None:
                for obj in _payload_objects(node.transform):
                    reqs += [r for r in declared_on(obj) if r not in reqs]
            inherited = declared(node.parent) if node.parent is not None else ()
            own[id(node)] = tuple(dict.fromkeys((*inherited, *reqs)))
        return own[id(node)]

    class Visitor(PipelineVisitor):
        def visit_transform(self, node) -> None:
            reqs = declared(node)
            if reqs:
                found[node.full_label] = reqs

    pipeline.visit(Visitor())
    return found


def conflicts(requirements: Iterable[str]) -> list[str]:
    """Distribution names no single version satisfies for these requirements."""
    declarations = [Declaration(r, "group") for r in requirements]
    return [m.name for m in merge(declarations, {}) if m.conflict]


def group(declared: Mapping[str, tuple[str, ...]], base: Iterable[str] = ()) -> list[Group]:
    """Fold transforms into the fewest compatible groups, first fit in the given order.

    ``base`` (``requires_base``: what every worker needs) joins every group; a transform whose
    own declarations conflict with each other or with ``base`` cannot be helped by a second
    environment, so it is left to the BD409 report of ``check``/``stage``.
    """
    base = tuple(base)
    members: list[tuple[list[str], list[str]]] = []  # (requirements, labels)
    for label, reqs in declared.items():
        if conflicts((*base, *reqs)):
            continue
        for requirements, labels in members:
            merged = [*requirements, *(r for r in reqs if r not in requirements)]
            if not conflicts((*base, *merged)):
                requirements[:] = merged
                labels.append(label)
                break
        else:
            members.append((list(reqs), [label]))
    names: set[str] = set()
    out = []
    for requirements, labels in members:
        name = _name(requirements, names)
        names.add(name)
        out.append(Group(name, tuple(requirements), tuple(labels)))
    return out


def needs_split(groups: list[Group]) -> bool:
    """More than one group means declarations that one environment cannot hold."""
    return len(groups) > 1


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
