"""A schema transform that names a field the elements do not have (BD328).

``beam.GroupBy("k")``, ``.aggregate_field("v", sum, "total")`` and ``beam.Select("k")`` read
a field named by a string as an attribute of each element (``getattr(x, "k")``): elements
with a schema (``beam.Row``, a ``typing.NamedTuple``) have it, a dict does not. Rows read
from JSON, or a Create of dicts, fail on the worker at the first element: "AttributeError:
'dict' object has no attribute 'k'". Nothing checks it while the pipeline is built.

Decided from values: the string fields of the transform (found in Beam's own field readers)
against the elements where the construction fixes them: the values of a ``Create`` (each
must have the attribute), or a Map of ``json.loads`` or of a function that returns dicts.
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors.side_inputs import created_values, elements_are_dicts
from beam_deps.check.detectors.worker_code import closure_value
from beam_deps.diagnostics import Diagnostic

_CORE = ("transforms/core.py", "transforms\\core.py")


def _field(reader: Any) -> str | None:
    """The field name a reader Beam made from a string reads (``lambda x: getattr(x,
    expr)`` in core.py), or None for the user's own function."""
    code = getattr(reader, "__code__", None)
    if code is None or not code.co_filename.endswith(_CORE) or "expr" not in code.co_freevars:
        return None
    value = closure_value(reader, "expr")
    return value if isinstance(value, str) else None


def _fields(transform: Any) -> list[str]:
    """The string fields a GroupBy (with its aggregations) or a Select reads."""
    readers: list[Any] = []
    grouping = getattr(transform, "_grouping", transform)
    readers += [reader for _, reader in getattr(grouping, "_key_fields", None) or ()]
    readers += [agg[0] for agg in getattr(transform, "_aggregations", None) or ()]
    readers += [reader for _, reader in getattr(transform, "_fields", None) or ()]
    return [name for name in map(_field, readers) if name]


def _lacking(pcoll: Any, field: str) -> str | None:
    """What the elements surely are when none has the attribute ``field``, or None."""
    values = created_values(pcoll)
    if values is not None:
        if all(not hasattr(value, field) for value in values):
            kinds = sorted({type(value).__name__ for value in values})
            return " and ".join(kinds)
        return None
    return "dict" if elements_are_dicts(pcoll) else None


def schema_field_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD328 for each GroupBy or Select whose string field the elements surely lack."""
    from apache_beam.transforms.core import GroupBy, Select, _GroupAndAggregate

    out: list[Diagnostic] = []
    kinds = (GroupBy, _GroupAndAggregate, Select)
    for node in shuffles.nodes_of(pipeline, kinds, composites=True):
        if len(node.inputs) != 1:
            continue
        try:
            fields = _fields(node.transform)
            found = [(f, kind) for f in fields if (kind := _lacking(node.inputs[0], f))]
        except Exception:  # noqa: BLE001 - a hostile user object: no finding
            continue
        if not found:
            continue
        field, kind = found[0]
        where = shuffles.where(node)
        shown = where["transform"]
        if isinstance(node.transform, _GroupAndAggregate):  # labelled with its class name
            shown = f"GroupBy(...).aggregate_field(...) ({shown})"
        out.append(
            diagnostic(
                "BD328",
                f"{shown} reads the field {field!r} as an attribute of each "
                f"element, but the elements are {kind} values without it: the worker fails "
                f"at the first one with \"AttributeError: '{kind.split(' ')[0]}' object has no "
                f"attribute '{field}'\"",
                path=f"{where['transform']} > {field}",
                **where,
            )
        )
    return out


__all__ = ["schema_field_diagnostics"]
