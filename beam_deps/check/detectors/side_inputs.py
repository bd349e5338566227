"""A side input view that does not fit its PCollection (BD317): a singleton of several
elements, a dict of elements that are not pairs.

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

``AsDict(pcoll)`` builds ``dict(elements)``, so each element must be a (key, value) pair. A
PCollection of rows (dicts) is the usual slip: a row of three fields fails ("ValueError:
dictionary update sequence element #0 has length 3; 2 is required"), a row of two fields
silently maps its first field's name to its second's, and the lookups find nothing. Claimed
where every element is surely not a pair: a ``Create`` of dicts, numbers or tuples of
another length, or a ``Map`` whose function returns dicts (a display, a comprehension,
``dict(...)``), through a ``WindowInto``.
A side input must come from the pipeline the step is in. Beam refuses a main input of
another ``Pipeline`` object when it is applied, but not a side input: a script that builds
two pipelines (``p`` and ``pipeline``, professional-services' data_lake_to_mart) and joins
``p``'s orders with ``AsDict`` of ``pipeline``'s accounts fails when ``p`` runs, translating
a step whose side input no step of ``p`` produces ("KeyError:
'ref_PCollection_PCollection_9'"), before any worker starts (BD332).
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

import itertools
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.diagnostics import Diagnostic


def made_by_create(producer: Any, pcoll: Any, create_type: type) -> Any | None:
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
    from apache_beam.transforms.window import GlobalWindows

    from beam_deps.pipeline.payloads import wrapper_kind

    for _ in range(20):
        producer = getattr(pcoll, "producer", None)
        transform = getattr(producer, "transform", None)
        create = made_by_create(producer, pcoll, Create)
        if create is not None:
            values = create.values
            return len(values) if isinstance(values, list | tuple) else None
        # into windows other than the global one: a singleton per window, whose count here
        # says nothing
        global_window = isinstance(transform, WindowInto) and isinstance(
            getattr(transform, "windowing", None) and transform.windowing.windowfn,
            GlobalWindows,
        )
        one_to_one = global_window or (
            isinstance(transform, ParDo) and wrapper_kind(transform.fn) in ("Map", "MapTuple")
        )
        if not one_to_one or len(producer.inputs) != 1:
            return None
        pcoll = producer.inputs[0]
    return None


def label_of(pcoll: Any) -> str:
    """The label of the outermost transform whose output ``pcoll`` is ("Limits", not
    "Limits/Map(decode)")."""
    node = getattr(pcoll, "producer", None)
    label = getattr(node, "full_label", "?")
    while node is not None and any(o is pcoll for o in (node.outputs or {}).values()):
        label = node.full_label or label
        node = node.parent
    return label


def _not_a_pair(value: Any) -> bool:
    """``dict()`` cannot read ``value`` as one (key, value) pair: a dict (read as its field
    names: a row), something without a length (a number), or a length other than 2 (a
    two-character string, a Row or tuple of two fields, are pairs to it)."""
    if isinstance(value, dict):
        return True
    try:
        return len(value) != 2
    except TypeError:
        pass
    try:  # a beam.Row iterates its fields, with no len()
        return len(list(itertools.islice(iter(value), 3))) != 2
    except TypeError:
        return True


def _source(pcoll: Any) -> tuple[str, Any] | None:
    """Where the elements of ``pcoll`` are made, through WindowInto steps (which keep
    them): ``("create", values)`` for a Create of a list of values, ``("map", function)``
    for a Map or MapTuple; None otherwise."""
    from apache_beam.transforms.core import Create, ParDo, WindowInto

    from beam_deps.pipeline.payloads import user_code, wrapper_kind

    for _ in range(20):
        producer = getattr(pcoll, "producer", None)
        transform = getattr(producer, "transform", None)
        create = made_by_create(producer, pcoll, Create)
        if create is not None:
            values = create.values
            return ("create", values) if isinstance(values, list | tuple) and values else None
        if isinstance(transform, ParDo) and wrapper_kind(transform.fn) in ("Map", "MapTuple"):
            return "map", user_code(transform.fn)
        if not isinstance(transform, WindowInto) or len(producer.inputs) != 1:
            return None
        pcoll = producer.inputs[0]
    return None


def created_values(pcoll: Any) -> list[Any] | None:
    """The values of the ``Create`` that makes ``pcoll`` (through WindowInto steps), or None
    when the elements are made otherwise."""
    source = _source(pcoll)
    return list(source[1]) if source is not None and source[0] == "create" else None


def not_pairs(pcoll: Any) -> str | None:
    """What the elements of ``pcoll`` surely are when none of them is a (key, value) pair:
    ``"dicts of 3 fields"``, ``"dicts of 2 fields"``, ``"dicts"``, ``"int values"``...;
    None when some may be pairs or only the data knows."""
    from beam_deps.check.detectors.step_outputs import returns_dicts

    source = _source(pcoll)
    if source is None:
        return None
    kind, made = source
    if kind == "map":
        return "dicts" if returns_dicts(made) else None
    if not all(_not_a_pair(v) for v in made):
        return None
    if all(isinstance(v, dict) for v in made):
        sizes = {len(v) for v in made}
        return f"dicts of {sizes.pop()} fields" if len(sizes) == 1 else "dicts"
    kinds = {type(v).__name__ for v in made}
    return f"{kinds.pop()} values" if len(kinds) == 1 else None


def elements_are_dicts(pcoll: Any) -> bool:
    """Every element of ``pcoll`` surely is a dict: a Create of dicts (through a
    WindowInto), or a Map of ``json.loads`` or of a function that returns dicts."""
    import json

    from beam_deps.check.detectors.step_outputs import returns_dicts

    source = _source(pcoll)
    if source is None:
        return False
    kind, made = source
    if kind == "map":
        return made is json.loads or returns_dicts(made)
    return all(isinstance(v, dict) for v in made)


def _views(pipeline: Any) -> list[tuple[Any, Any]]:
    """(ParDo node, side input) for the AsSingleton and AsDict side inputs of the pipeline."""
    from apache_beam.pvalue import AsDict, AsSingleton
    from apache_beam.transforms.core import ParDo

    return [
        (node, side)
        for node in shuffles.nodes_of(pipeline, ParDo)
        for side in node.transform.side_inputs or ()
        if isinstance(side, AsSingleton | AsDict)
    ]


def _mismatch(side: Any) -> tuple[str, str] | None:
    """(what the elements are, what the worker does) when the view does not fit them."""
    from apache_beam.pvalue import AsSingleton

    if isinstance(side, AsSingleton):
        count = element_count(side.pvalue)
        if count is None or count < 2:
            return None
        return (
            f"has {count} elements (it comes from a Create of {count} values, one element "
            "per value on the way)",
            f'the worker fails when the step first reads it, "ValueError: PCollection of '
            f'size {count} with more than one element accessed as a singleton view"',
        )
    elements = not_pairs(side.pvalue)
    if elements is None:
        return None
    if elements == "dicts of 2 fields":
        outcome = (
            "dict() reads each row as a pair of its two field names, so the side input "
            "maps one field's name to the other's, silently, and lookups by key find nothing"
        )
    elif elements.startswith("dicts of "):
        size = elements.split()[2]
        outcome = (
            'the worker fails when the step first reads it, "ValueError: dictionary update '
            f'sequence element #0 has length {size}; 2 is required"'
        )
    elif elements == "dicts":
        outcome = (
            "dict() reads each row as a sequence of its field names: the worker fails "
            '("dictionary update sequence element #0 has length N; 2 is required"), or, for '
            "rows of two fields, maps one field's name to the other's, silently"
        )
    else:
        outcome = (
            'the worker fails when the step first reads it, "TypeError: cannot convert '
            'dictionary update sequence element #0 to a sequence"'
        )
    return f"holds {elements}, not (key, value) pairs (AsDict builds dict(elements))", outcome


def side_input_view_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD317 for each AsSingleton side input of a PCollection built with several elements,
    and each AsDict of one whose elements are surely not pairs."""
    out: list[Diagnostic] = []
    for node, side in _views(pipeline):
        try:
            mismatch = _mismatch(side)
        except Exception:  # noqa: BLE001 - a hostile user object: no finding, no crash
            continue
        if mismatch is None:
            continue
        elements, outcome = mismatch
        view = type(side).__name__
        producer = label_of(side.pvalue)
        where = shuffles.where(node)
        out.append(
            diagnostic(
                "BD317",
                f"{where['transform']!r} reads {view} of the output of {producer!r}, which "
                f"{elements}: {outcome}",
                path=f"{where['transform']} > {view}({producer})",
                **where,
            )
        )
    return out


def foreign_side_input_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD332 for each side input that is a PCollection of another Pipeline object."""
    from apache_beam.transforms.core import ParDo

    out: list[Diagnostic] = []
    for node in shuffles.nodes_of(pipeline, ParDo):
        for side in node.transform.side_inputs or ():
            pcoll = getattr(side, "pvalue", None)
            other = getattr(pcoll, "pipeline", None)
            if other is None or other is pipeline:
                continue
            view = type(side).__name__
            producer = label_of(pcoll)
            where = shuffles.where(node)
            out.append(
                diagnostic(
                    "BD332",
                    f"{where['transform']!r} reads {view} of the output of {producer!r}, which "
                    "belongs to another Pipeline object than this step's: nothing in this "
                    "pipeline produces it, so running it fails before any worker starts, "
                    "translating this step (\"KeyError: 'ref_PCollection_PCollection_...'\" "
                    "on the DirectRunner and portable runners)",
                    path=f"{where['transform']} > {view}({producer})",
                    **where,
                )
            )
    return out


def cogroup_input_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD321 for each input of a CoGroupByKey whose elements are surely not (key, value)
    pairs: its tagging step unpacks each element into a key and a value on the worker
    (GroupByKey gets the same mistake from Beam's type check while the pipeline is built;
    a CoGroupByKey input does not)."""
    from apache_beam.transforms.util import CoGroupByKey

    out: list[Diagnostic] = []
    for node in shuffles.nodes_of(pipeline, CoGroupByKey, composites=True):
        for tag, pcoll in _tagged_inputs(node):
            try:
                elements = not_pairs(pcoll)
            except Exception:  # noqa: BLE001 - a hostile user object: no finding
                continue
            if elements is None:
                continue
            producer = label_of(pcoll)
            where = shuffles.where(node)
            sizes = _sizes(pcoll)
            given = str(sizes.pop()) if len(sizes) == 1 else "N"
            out.append(
                diagnostic(
                    "BD321",
                    f"the input {tag!r} of {node.full_label!r} (the output of {producer!r}) "
                    f"holds {elements}, not (key, value) pairs; CoGroupByKey's tagging step "
                    "unpacks each element into a key and a value, so the worker fails there "
                    '("TypeError: ...add_tag.<locals>.<lambda>() takes 2 positional arguments '
                    f'but {given} were given"), or, for values of two items, silently takes '
                    "the first as the key",
                    path=f"{node.full_label} > {tag}",
                    **where,
                )
            )
    return out


def _sizes(pcoll: Any) -> set[int]:
    """The lengths of the values of the Create that ``pcoll`` comes from (what unpacking
    each element gives), or nothing."""
    source = _source(pcoll)
    if source is None or source[0] != "create":
        return set()
    try:
        return {len(v) for v in source[1]}
    except TypeError:  # numbers, Rows: no length
        return set()


def _tagged_inputs(node: Any) -> list[tuple[Any, Any]]:
    """(tag, PCollection) of a CoGroupByKey node, read off its tagging steps ("Tag[p]"):
    a dict's tags, a list's positions."""
    found: list[tuple[Any, Any]] = []
    stack = list(getattr(node, "parts", ()))
    while stack:
        part = stack.pop()
        label = part.full_label.rsplit("/", 1)[-1]
        if label.startswith("Tag[") and label.endswith("]") and len(part.inputs) == 1:
            found.append((label[4:-1], part.inputs[0]))
        else:
            stack.extend(getattr(part, "parts", ()))
    return sorted(found, key=lambda item: str(item[0]))


__all__ = [
    "cogroup_input_diagnostics",
    "created_values",
    "element_count",
    "elements_are_dicts",
    "label_of",
    "made_by_create",
    "not_pairs",
    "side_input_view_diagnostics",
]
