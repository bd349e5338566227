"""Windowing that cannot do what the pipeline means: a Flatten of inputs in different kinds
of windows (BD326), windows over elements that all carry the same timestamp (BD327).

A PCollection has one windowing. ``Flatten`` of a ``FixedWindows`` input and a global-window
input makes one PCollection whose windows one coder must encode; the worker decodes one
input's windows with the other's coder and fails ("Invalid PaneInfoEncoding" or another
decoding error). Decided by the window coders of the inputs' own windowing: inputs in windows
of the same kind (fixed windows of different sizes) share a coder and are not claimed.

Windows group elements by their timestamps. A ``Create``'s elements all carry the same one
(the minimum timestamp), and Map, FlatMap and Filter keep it, so ``WindowInto(FixedWindows(60))``
right after them puts every element in one window and a count per window is the count of all:
silently wrong. ``BatchElements`` in the global window does the same to timestamps the
elements had: each batch is stamped at the end of the global window (apache/beam#27937,
"Clarify timestamp behavior for BatchElements"), so elements unbatched and then windowed all
land in the last window. Claimed where every step between the ``Create`` (or the batching)
and the ``WindowInto`` is a Map, FlatMap or Filter, or a DoFn of the user's, whose code (and
the functions it calls) names no timestamp (``TimestampedValue``, ``TimestampParam``, a
``WindowedValue``), the WindowFn is Beam's (one of the user's may assign windows by the
element), and a grouping (a GroupByKey, a combine per key) follows, so the windows decide
the results.
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors.side_inputs import label_of, made_by_create
from beam_deps.diagnostics import Diagnostic

_KEEPS_TIMESTAMPS = ("Map", "MapTuple", "FlatMap", "FlatMapTuple", "Filter")
_GROUPS = ("GroupByKey", "_GroupByKeyOnly", "_GroupAlsoByWindow", "CoGroupByKey")


def _window_coder(pcoll: Any) -> tuple[str, str] | None:
    """(the windowing's name, its window coder's class name), or None when unknown."""
    try:
        windowfn = pcoll.windowing.windowfn
        return type(windowfn).__name__, type(windowfn.get_window_coder()).__name__
    except Exception:  # noqa: BLE001 - an input whose windowing Beam cannot say yet
        return None


def flatten_window_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD326 for each Flatten whose inputs' windows need different coders."""
    from apache_beam.transforms.core import Flatten

    out: list[Diagnostic] = []
    for node in shuffles.nodes_of(pipeline, Flatten):
        kinds = {}
        for pcoll in node.inputs:
            kind = _window_coder(pcoll)
            if kind is not None:
                kinds.setdefault(kind[1], (kind[0], label_of(pcoll)))
        if len(kinds) < 2:
            continue
        shown = " and ".join(f"{label} ({name})" for name, label in kinds.values())
        where = shuffles.where(node)
        out.append(
            diagnostic(
                "BD326",
                f"{where['transform']} merges inputs in different kinds of windows, {shown}: "
                "a PCollection has one windowing, so the worker decodes one input's windows "
                'with the other\'s coder and fails ("Invalid PaneInfoEncoding" or another '
                "decoding error)",
                path=where["transform"],
                **where,
            )
        )
    return out


def _names_a_timestamp(fn: Any) -> bool:
    """Whether the step's function, or a function of the user's it calls, names a
    timestamp (it may set one: TimestampedValue, DoFn.TimestampParam). A function this
    cannot read (not the user's: a library's, Beam's own examples') may: True."""
    from beam_deps.check.detectors.worker_code import worker_functions
    from beam_deps.pickling.bytecode import code_objects

    entries = worker_functions(fn)
    if not entries:
        return True
    for entry in entries:
        defaults = [*(entry.function.__defaults__ or ()), *(entry.function.__kwdefaults__ or {})]
        if any("imestamp" in type(d).__name__ for d in defaults):
            return True
        scope = entry.function.__globals__
        for code in code_objects(entry.function.__code__):
            if any(_stamps(name) for name in (*code.co_names, *code.co_varnames)):
                return True
            for name in code.co_names:  # an alias: TimestampedValue as TV
                if _stamps(str(getattr(scope.get(name), "__name__", ""))):
                    return True
    return False


# Beam's BatchElements in the global window: each batch is stamped at the end of the window
_GLOBAL_BATCHING = ("_GlobalWindowsBatchingDoFn", "_SortAndBatchElementsDoFn")


def _reads_only_its_own(fn: Any) -> bool:
    """Whether the global names a DoFn's worker code reads are all readable here: the
    builtins, its own functions and plain values (a lookup table). A module or a function
    imported from one (a team's ``eventlib.with_event_time``) may set a timestamp unseen."""
    import builtins
    import types

    from beam_deps.check.detectors.worker_code import worker_functions
    from beam_deps.pickling.bytecode import global_names

    entries = worker_functions(fn)
    own = {id(e.function) for e in entries}
    for entry in entries:
        scope = entry.function.__globals__
        for name in global_names(entry.function.__code__):
            if name not in scope:
                if hasattr(builtins, name):
                    continue
                return False
            value = scope[name]
            if isinstance(value, types.FunctionType) and id(value) in own:
                continue
            if isinstance(value, types.ModuleType) or callable(value):
                return False
    return True


def _stamps(name: str) -> bool:
    """A name of something that sets a timestamp: TimestampedValue, TimestampParam, a
    WindowedValue (``GlobalWindows.windowed_value(x)`` in a finish_bundle)."""
    return "imestamp" in name or "indowed_value" in name or "WindowedValue" in name


def _one_timestamp(pcoll: Any) -> str | None:
    """Where the one timestamp of the elements that reach ``pcoll`` comes from (through
    Map, FlatMap and Filter steps and DoFns of the user's that name no timestamp): a
    Create's elements, or BatchElements' batches in the global window; None if they may
    carry their own."""
    from apache_beam.transforms.core import Create, ParDo

    from beam_deps.pipeline.payloads import user_code, wrapper_kind

    for _ in range(20):
        producer = getattr(pcoll, "producer", None)
        create = made_by_create(producer, pcoll, Create)
        if create is not None:
            values = create.values
            if not isinstance(values, list | tuple) or any(
                "imestamp" in type(v).__name__ or "Windowed" in type(v).__name__ for v in values
            ):
                return None  # a Create of TimestampedValues keeps each one's own
            return f"the one timestamp {label_of(pcoll)} gives them"
        transform = getattr(producer, "transform", None)
        if not isinstance(transform, ParDo) or len(producer.inputs) != 1:
            return None
        fn = transform.fn
        if type(fn).__name__ in _GLOBAL_BATCHING and type(fn).__module__.startswith("apache_beam"):
            batching = getattr(producer, "parent", None) or producer
            return (
                f"the one timestamp {batching.full_label!r} gives its batches in the global "
                "window, the end of that window, whatever the elements' own were"
            )
        kind = wrapper_kind(fn)
        if kind is None and shuffles.is_beams(fn):
            return None  # Beam's own DoFns may set timestamps
        if kind is not None and kind not in _KEEPS_TIMESTAMPS:
            return None
        if _names_a_timestamp(user_code(fn)):
            return None
        if kind is None and not _reads_only_its_own(user_code(fn)):
            return None  # a DoFn calling a library's helper, which may set a timestamp
        pcoll = producer.inputs[0]
    return None


def _grouped_after(pcoll: Any, readers: dict[int, list[Any]]) -> bool:
    """Whether a grouping (GroupByKey, a combine per key, CoGroupByKey) of the pipeline's own
    reads ``pcoll`` or what steps made from it (not one inside Beam's sinks)."""
    stack, seen = [pcoll], set()
    while stack and len(seen) < 200:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for node in readers.get(id(current), []):
            if _inside_beams_io(node):
                continue  # a sink's own grouping (WriteToText's) decides no result
            if type(node.transform).__name__ in _GROUPS:
                return True
            stack.extend((node.outputs or {}).values())
    return False


def _inside_beams_io(node: Any) -> bool:
    while node is not None:
        module = type(getattr(node, "transform", None)).__module__ or ""
        if module.startswith("apache_beam.io"):
            return True
        node = node.parent
    return False


def single_timestamp_window_diagnostics(pipeline: Any) -> list[Diagnostic]:
    """BD327 for each WindowInto of elements that all carry a Create's one timestamp, with a
    grouping after it."""
    from apache_beam.transforms.core import WindowInto
    from apache_beam.transforms.window import GlobalWindows

    out: list[Diagnostic] = []
    readers: dict[int, list[Any]] | None = None
    for node in shuffles.nodes_of(pipeline, WindowInto):
        windowfn = getattr(getattr(node.transform, "windowing", None), "windowfn", None)
        if windowfn is None or isinstance(windowfn, GlobalWindows) or len(node.inputs) != 1:
            continue
        if not type(windowfn).__module__.startswith("apache_beam."):
            continue  # a WindowFn of the user's may assign windows by the element
        try:
            create = _one_timestamp(node.inputs[0])
        except Exception:  # noqa: BLE001 - a hostile user object: no finding
            continue
        if create is None:
            continue
        readers = shuffles.consumers(pipeline) if readers is None else readers
        if not any(_grouped_after(o, readers) for o in (node.outputs or {}).values()):
            continue
        where = shuffles.where(node)
        out.append(
            diagnostic(
                "BD327",
                f"{where['transform']} puts into {type(windowfn).__name__} elements that all "
                f"carry {create} (no step between sets one): "
                "every element lands in the same window, so the grouping after it computes "
                "over all of them, silently",
                path=where["transform"],
                **where,
            )
        )
    return out


__all__ = ["flatten_window_diagnostics", "single_timestamp_window_diagnostics"]
