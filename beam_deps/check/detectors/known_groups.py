"""Known elements through a shuffle and Beam's own combining steps (used by known_elements,
BD329).

Users' small pipelines group and combine their ``Create``'s values before the step that
fails: ``Create`` > ``GroupByKey`` > ``MapTuple(lambda k, vs: ...)``, or ``CombinePerKey(sum)``
over values one of which is a string. When every element before the shuffle is known, so is
what the worker's shuffle gives the next step: the same groups, keyed by the encoded key as
Beam groups them (``1`` and ``1.0`` are two keys), each group's values as a list (what the
worker's small groups are; a list allows everything the worker's iterable does, so nothing
fails here that works there). A ``CoGroupByKey`` is Beam's own tagging steps, a Flatten and
this GroupByKey: a join whose one side lacks a key (``d["phones"][0]`` on an empty list) fails
here as there. A ``Reshuffle`` gives the next step the same elements in another order.

The shuffle is followed only where the simulation is the worker's: all elements known, in
the global window, each a pair, and each key and value coming back from its coder as the
same value of the same type (a value the coder changes or refuses is another detector's to
say: BD306, BD308, BD310). Beam's own steps of ``CombinePerKey``/``CombineGlobally``/``Count``
and friends run as Beam runs them: ``CombineValuesDoFn`` with three accumulators and a merge,
on a combine function of the user's (without a ``setup`` of its own), a builtin (``sum``,
``max``...) or one of Beam's combiners.
"""

from __future__ import annotations

import builtins
import copy
from typing import Any

from beam_deps.check.detectors.worker_code import is_user_function

# builtins a combine may be given that only read their argument
_COMBINING = tuple(
    getattr(builtins, name) for name in ("sum", "max", "min", "any", "all", "sorted", "len")
)
# modules of Beam whose functions and combiners compute on the elements alone
BEAMS_PURE = (
    "apache_beam.transforms.core",
    "apache_beam.transforms.combiners",
    "apache_beam.transforms.util",
)
# a class's methods that make the state its other methods read on a worker
PREPARES = ("setup", "start_bundle", "__setstate__", "__getstate__", "__reduce__")


def grouped(pcoll: Any, values: list[Any]) -> list[Any] | None:
    """What a GroupByKey of ``pcoll`` gives the next step when ``values`` are all its
    elements; None where the worker's shuffle may differ."""
    from apache_beam.coders import registry
    from apache_beam.transforms.window import GlobalWindows

    windowfn = getattr(getattr(pcoll, "windowing", None), "windowfn", None)
    if not isinstance(windowfn, GlobalWindows):
        return None
    key_type, value_type = pair_types(pcoll)
    try:
        keys = registry.get_coder(key_type).as_deterministic_coder("GroupByKey")
        coder = registry.get_coder(value_type)
    except Exception:  # noqa: BLE001 - a key Beam refuses: BD310's to say
        return None
    groups: dict[bytes, tuple[Any, list[Any]]] = {}
    for element in values:
        if not isinstance(element, tuple | list) or len(element) != 2:
            return None
        key, value = element
        try:
            encoded = keys.encode(key)
            back = keys.decode(encoded), coder.decode(coder.encode(value))
        except Exception:  # noqa: BLE001 - a coder's refusal: another detector's
            return None
        if not _same(back[0], key) or not _same(back[1], value):
            return None
        groups.setdefault(encoded, (key, []))[1].append(value)
    return [(key, found) for key, found in groups.values()]


def key_refused(pcoll: Any, values: list[Any], label: str) -> tuple[Any, Exception] | None:
    """(an element, the worker's error) where the deterministic key coder of the
    GroupByKey ``label`` reading ``pcoll`` refuses the key of one of its known elements
    (``Timestamp.now()``, a ``date``, an object of the user's class): the worker fails on
    that element, whatever else it holds."""
    from apache_beam.coders import registry

    key_type, _ = pair_types(pcoll)
    try:
        keys = registry.get_coder(key_type).as_deterministic_coder(label)
    except Exception:  # noqa: BLE001 - a key type Beam refuses: BD310's to say
        return None
    for element in values:
        if not isinstance(element, tuple | list) or len(element) != 2:
            return None
        try:
            keys.encode(element[0])
        except TypeError as exc:
            if "deterministically" in str(exc):
                return element, exc
            return None
        except Exception:  # noqa: BLE001 - another refusal: another detector's
            return None
    return None


def producer(pcoll: Any) -> Any:
    """The step to name for what made ``pcoll``: its producer, or the outermost of Beam's
    composites holding it where the producer runs Beam's own code (a ``Create``'s decoding
    step is the ``Create``)."""
    from beam_deps.pipeline.payloads import user_code

    node = getattr(pcoll, "producer", None)
    fn = getattr(getattr(node, "transform", None), "fn", None)
    if node is None or (fn is not None and is_user_function(user_code(fn))):
        return node
    return _outermost_beams(node)


def _outermost_beams(node: Any) -> Any:
    """The outermost of the Beam composites holding ``node`` (itself when none does)."""
    shown, parent = node, getattr(node, "parent", None)
    while getattr(parent, "transform", None) is not None:
        if not type(parent.transform).__module__.startswith("apache_beam."):
            break
        shown, parent = parent, parent.parent
    return shown


def reshuffled(node: Any, pcoll: Any, values: list[Any]) -> tuple | None:
    """(the ``Reshuffle``, its elements) where ``node`` is the first of Beam's steps inside a
    ``Reshuffle``/``ReshufflePerKey`` reading ``pcoll``: it gives the next step the same
    elements (in another order, on other workers), each through the element coder; None for
    any other step, or where the coder may change an element."""
    from apache_beam.coders import registry
    from apache_beam.transforms.util import Reshuffle, ReshufflePerKey

    parent = getattr(node, "parent", None)
    while parent is not None and getattr(parent, "transform", None) is not None:
        if isinstance(parent.transform, Reshuffle | ReshufflePerKey) and any(
            p is pcoll for p in parent.inputs
        ):
            break
        parent = parent.parent
    else:
        return None
    try:
        coder = registry.get_coder(getattr(pcoll, "element_type", None) or object)
        back = [coder.decode(coder.encode(value)) for value in values]
    except Exception:  # noqa: BLE001 - a coder's refusal: another detector's
        return None
    if not all(_same(b, v) for b, v in zip(back, values, strict=True)):
        return None
    return parent, back


def pair_types(pcoll: Any) -> tuple[Any, Any]:
    """The declared key and value types of a PCollection of pairs (Any where undeclared)."""
    from apache_beam.typehints import Any as AnyType
    from apache_beam.typehints import typehints

    element_type = getattr(pcoll, "element_type", None)
    if isinstance(element_type, typehints.TupleConstraint) and len(element_type.tuple_types) == 2:
        return tuple(element_type.tuple_types)
    return AnyType, AnyType


def _same(back: Any, value: Any) -> bool:
    try:
        return type(back) is type(value) and bool(back == value)
    except Exception:  # noqa: BLE001 - a comparison that raises: not the same, as far as known
        return False


def beams_step(dofn: Any, args: tuple, kwargs: dict) -> Any | None:
    """What to call per element for one of Beam's own DoFns in a combine, run here: the
    combining DoFn on a combine function that computes on its inputs alone, and the keying
    step of ``CombineGlobally``; None for any other."""
    name = type(dofn).__name__
    if name == "_KeyWithNone":
        return lambda element: [(None, element)]
    if name != "CombineValuesDoFn" or not combines_alone(getattr(dofn, "combinefn", None)):
        return None
    try:
        fresh = copy.deepcopy(dofn)  # the worker's own copy
        fresh.setup()  # the combine function's own (none of the user's: combines_alone)
    except Exception:  # noqa: BLE001 - the worker's to run
        return None
    return lambda element: fresh.process(element, *args, **kwargs)


def combines_alone(combinefn: Any) -> bool:
    """A combine function whose result depends on its inputs alone: a builtin or function of
    the user's wrapped by Beam, one of Beam's combiners, or a CombineFn of the user's where
    nothing but its constructor makes what it reads."""
    from apache_beam.transforms.core import CallableWrapperCombineFn, CombineFn

    if isinstance(combinefn, CallableWrapperCombineFn):
        function = getattr(combinefn, "_fn", None)
        return is_user_function(function) or any(function is f for f in _COMBINING)
    if not isinstance(combinefn, CombineFn):
        return False
    cls = type(combinefn)
    if cls.__module__ in BEAMS_PURE:
        return True
    if not is_user_function(getattr(cls, "add_input", None)):
        return False
    return not any(is_user_function(getattr(cls, name, None)) for name in PREPARES)


def beams_pure(function: Any) -> bool:
    """A function of Beam's own steps that computes on the element alone (the keying and
    unkeying lambdas of a combine, ``Keys``, ``KvSwap``...)."""
    module = getattr(function, "__module__", None) or ""
    return module in BEAMS_PURE


def reported(node: Any) -> Any:
    """The step to name for one of Beam's own steps of a combine: the outermost of Beam's
    composites holding it (``CombinePerKey(sum)``, not its ``Combine/ParDo(CombineValuesDoFn)``);
    any other step is named as it is."""
    from beam_deps.pipeline.payloads import user_code

    fn = getattr(getattr(node, "transform", None), "fn", None)
    if type(fn).__name__ not in ("CombineValuesDoFn", "_KeyWithNone") and not beams_pure(
        user_code(fn) if fn is not None else None
    ):
        return node
    return _outermost_beams(node)


__all__ = [
    "BEAMS_PURE",
    "PREPARES",
    "beams_pure",
    "beams_step",
    "combines_alone",
    "grouped",
    "key_refused",
    "producer",
    "reported",
    "reshuffled",
]
