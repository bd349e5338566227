"""A singleton side input of a PCollection that has several elements (BD317).

``beam.pvalue.AsSingleton(pcoll)`` hands each call of the step the one element of
``pcoll``; the worker reads the side input when the step first needs it and fails on a
second element ("ValueError: PCollection of size 2 with more than one element accessed as a
singleton view"). The slip is a side PCollection that was never reduced to one value (a
``Create`` of the candidate values, a ``Map`` over several rows where a
``CombineGlobally`` was meant).

Decided only where the construction fixes the count: the side PCollection is a ``Create``'s
output, or comes from one through steps that emit exactly one element per input (``Map``,
``MapTuple``, a ``WindowInto``). Anything read from a source, filtered, flattened or
combined has a count only the data knows, and is not claimed.
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.diagnostics import Diagnostic


def _made_by_create(producer: Any, pcoll: Any, create_type: type) -> Any | None:
    """The ``Create`` whose output ``pcoll`` is: the producer is the last of its inner steps,
    the composite is one of that step's parents."""
    node = producer
    while node is not None:
        transform = getattr(node, "transform", None)
        if isinstance(transform, create_type):
            outputs = getattr(node, "outputs", {}) or {}
            return transform if any(o is pcoll for o in outputs.values()) else None
        node = getattr(node, "parent", None)
    return None


def element_count(pcoll: Any) -> int | None:
    """How many elements ``pcoll`` surely has, from how it is built; None when only the
    data knows."""
    from apache_beam.transforms.core import Create, ParDo, WindowInto

    from beam_deps.pipeline.payloads import wrapper_kind

    for _ in range(20):
        producer = getattr(pcoll, "producer", None)
        transform = getattr(producer, "transform", None)
        create = _made_by_create(producer, pcoll, Create)
        if create is not None:
            values = create.values
            return len(values) if isinstance(values, list | tuple) else None
        one_to_one = isinstance(transform, WindowInto) or (
            isinstance(transform, ParDo) and wrapper_kind(transform.fn) in ("Map", "MapTuple")
        )
        if not one_to_one or len(producer.inputs) != 1:
            return None
        pcoll = producer.inputs[0]
    return None


def _label(pcoll: Any) -> str:
    """The label of the outermost transform whose output ``pcoll`` is ("Limits", not
    "Limits/Map(decode)")."""
    node = getattr(pcoll, "producer", None)
    label = getattr(node, "full_label", "?")
    while node is not None and any(o is pcoll for o in (node.outputs or {}).values()):
        label = node.full_label or label
        node = node.parent
    return label


def singleton_side_input_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD317 for each ``AsSingleton`` side input of a PCollection built with several
    elements."""
    from apache_beam.pipeline import PipelineVisitor
    from apache_beam.pvalue import AsSingleton
    from apache_beam.transforms.core import ParDo

    found: list[tuple[Any, Any]] = []

    class Visitor(PipelineVisitor):
        def visit_transform(self, node: Any) -> None:
            if isinstance(node.transform, ParDo):
                for side in node.transform.side_inputs or ():
                    if isinstance(side, AsSingleton):
                        found.append((node, side))

    pipeline.visit(Visitor())
    out: list[Diagnostic] = []
    for node, side in found:
        try:
            count = element_count(side.pvalue)
        except Exception:  # noqa: BLE001 - a hostile user object: no finding, no crash
            continue
        if count is None or count < 2:
            continue
        producer = _label(side.pvalue)
        where = shuffles.where(node)
        out.append(
            diagnostic(
                "BD317",
                f"{where['transform']!r} reads AsSingleton of the output of {producer!r}, "
                f"which has {count} elements (it comes from a Create of {count} values, one "
                "element per value on the way): the worker fails when the step first reads "
                f'it, "ValueError: PCollection of size {count} with more than one element '
                'accessed as a singleton view"',
                path=f"{where['transform']} > AsSingleton({producer})",
                **where,
            )
        )
    return out


__all__ = ["element_count", "singleton_side_input_diagnostics"]
