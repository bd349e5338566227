"""What the pipeline's known elements look like where their shape decides the outcome
(BD335, BD336, BD339): a dict handed to a GroupByKey, a timestamp in milliseconds read as
seconds, an element that is no (key, value) pair given to a DoFn with state or timers.

``known_elements`` runs the first steps on the elements the pipeline itself provides (a
``Create``'s values, the lines of a local text input) and tells this module what it saw:

* **BD335, a dict where a GroupByKey wants a (key, value) pair.** The step after
  ``Map(json.loads)`` is often a ``GroupByKey`` or a ``CombinePerKey``. The worker encodes
  the element with the pair coder of the shuffle, which iterates it: a dict gives its
  *keys*. A dict of two keys becomes the pair ``('k', 'v')`` and is grouped under its first
  key name, silently; any other size fails at the step that made it with "ValueError: Number
  of components does not match number of coders". Which of the two is decided by Beam's own
  coder for the shuffle's input, here, on the element.
* **BD336, a timestamp in milliseconds.** ``TimestampedValue(e, e["ts"])`` takes seconds;
  an epoch in milliseconds (Pub/Sub, Kafka and JavaScript give those) is read as a moment
  tens of thousands of years from now, which Beam accepts. Every element then lands in a
  window of its own, 1000 times further apart than meant, and every count is 1. Claimed for
  a timestamp past the year 5000 (more than 10**11 seconds; every epoch in milliseconds
  since 1973 is), where a WindowInto of Beam's windows follows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.diagnostics import Diagnostic

FAR = 10**11  # seconds: past the year 5000, and below any epoch in milliseconds since 1973
_FOLLOWED = 30  # steps followed from the stamping step to a WindowInto


def shown(value: Any, width: int = 60) -> str:
    """A value as a message shows it, cut to ``width`` (a hostile repr is its type)."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a hostile repr
        text = f"<{type(value).__name__}>"
    return text if len(text) <= width else text[: width - 3] + "..."


def far_timestamp(stamps: Iterable[Any]) -> Any | None:
    """The first of the timestamps (Beam ``Timestamp``s) past ``FAR`` seconds, or None."""
    for stamp in stamps:
        seconds = getattr(stamp, "micros", 0) / 1e6
        if seconds > FAR:
            return stamp
    return None


def dict_into_shuffle(gbk: Any, pcoll: Any, values: list[Any], maker: Any) -> Diagnostic | None:
    """BD335 for the first dict among ``values`` (elements known to reach the GroupByKey
    ``gbk`` through ``pcoll``), put through Beam's own coder for the shuffle's input."""
    from apache_beam.coders import TupleCoder, registry

    from beam_deps.check.detectors.known_groups import pair_types, producer

    element = next((v for v in values if isinstance(v, dict)), None)
    made_by = maker or producer(pcoll)
    if element is None or made_by is None:
        return None
    try:
        coder = TupleCoder([registry.get_coder(t) for t in pair_types(pcoll)])
    except Exception:  # noqa: BLE001 - no coder for the declared types: BD310's
        return None
    try:
        # a lifted combine unpacks the element itself; a GroupByKey's input is encoded
        if shuffles.lifted(gbk):
            _key, _value = element  # the interpreter's own refusal, if any
            back = tuple(element)
        else:
            back = coder.decode(coder.encode(element))
        outcome = (
            f"the worker reads it as the pair {shown(back)}, its first key's name as the key "
            "and its second as the value, silently"
        )
    except Exception as exc:  # noqa: BLE001 - the worker's own refusal, quoted
        text = f"{type(exc).__name__}: {exc}".splitlines()[0]
        outcome = f'the worker fails at {made_by.full_label!r} with "{text}"'
    where = shuffles.where(made_by)
    return diagnostic(
        "BD335",
        f"{where['transform']} gives {gbk.full_label!r} dicts ({shown(element)}), but a "
        f"GroupByKey reads each element as a (key, value) pair and a dict gives its keys: "
        f"{outcome}",
        path=f"{where['transform']} > {shown(element, 30)}",
        **where,
    )


def unkeyed_state(node: Any, values: list[Any]) -> Diagnostic | None:
    """BD339 for a stateful DoFn (state or timers) given a known element that is not a
    (key, value) pair: the worker unpacks each element into a key and a value first."""
    from apache_beam.transforms import userstate
    from apache_beam.transforms.core import ParDo

    transform = getattr(node, "transform", None)
    if not isinstance(transform, ParDo) or not userstate.is_stateful_dofn(transform.fn):
        return None
    for element in values:
        try:
            _key, _value = element  # as the worker does, before the DoFn runs
        except (TypeError, ValueError):
            where = shuffles.where(node)
            return diagnostic(
                "BD339",
                f"{where['transform']} keeps state or timers, which Beam holds per key, but "
                f"its input {shown(element)} is not a (key, value) pair: the worker fails "
                f'with "ValueError: Input value to a stateful DoFn or KeyParam must be a KV '
                f"tuple; instead, got '{element}'.\"",
                path=f"{where['transform']} > {shown(element, 30)}",
                **where,
            )
    return None


def far_timestamp_finding(
    node: Any, element: Any, stamps: list[Any], readers: dict
) -> Diagnostic | None:
    """BD336 for a step that stamps its elements (``element`` the first) with ``stamps``,
    one past the year 5000, where a WindowInto of Beam's windows follows and puts them in
    more windows than the same stamps read as milliseconds would (windows sized in
    milliseconds too are left alone)."""
    stamp = far_timestamp(stamps)
    windowing = _window_after(node, readers) if stamp is not None else None
    if windowing is None:
        return None
    windowfn = windowing.transform.windowing.windowfn
    seconds = [s.micros / 1e6 for s in stamps]
    given, meant = _windows(windowfn, seconds), _windows(windowfn, [t / 1000 for t in seconds])
    if given is None or meant is None or given <= meant:
        return None
    where = shuffles.where(node)
    label = getattr(windowing, "_beam_deps_user_label", None) or windowing.full_label
    return diagnostic(
        "BD336",
        f"{where['transform']} stamps {shown(element)} with {seconds[0]:.0f} seconds since "
        f"1970, a moment past the year 5000: TimestampedValue takes seconds, and this is an "
        f"epoch in milliseconds. Nothing fails, but {label!r} puts the {len(seconds)} "
        f"elements here in {given} windows, where read as milliseconds they fill {meant}",
        path=f"{where['transform']} > {shown(element, 30)}",
        **where,
    )


def _windows(windowfn: Any, seconds: list[float]) -> int | None:
    """How many windows Beam's ``windowfn`` puts elements stamped ``seconds`` in (sessions
    merged); None for a WindowFn this does not count."""
    from apache_beam.transforms.window import FixedWindows, Sessions, SlidingWindows, WindowFn
    from apache_beam.utils.timestamp import Timestamp

    if isinstance(windowfn, Sessions):
        gap, merged, end = float(windowfn.gap_size), 0, None
        for t in sorted(seconds):
            if end is None or t >= end:
                merged += 1
            end = max(end or t, t + gap)
        return merged
    if isinstance(windowfn, FixedWindows | SlidingWindows):  # Beam's own assignment
        found = set()
        for t in seconds:
            found.update(windowfn.assign(WindowFn.AssignContext(Timestamp(t))))
        return len(found)
    return None


def _window_after(node: Any, readers: dict) -> Any | None:
    """The first WindowInto of Beam's own non-global windows downstream of ``node``."""
    from apache_beam.transforms.core import WindowInto
    from apache_beam.transforms.window import GlobalWindows

    todo, seen = [node], set()
    while todo and len(seen) < _FOLLOWED:
        current = todo.pop(0)
        for out in (getattr(current, "outputs", None) or {}).values():
            for reader in readers.get(id(out), []):
                if id(reader) in seen:
                    continue
                seen.add(id(reader))
                transform = reader.transform
                if isinstance(transform, WindowInto):
                    windowfn = transform.windowing.windowfn
                    owner = type(windowfn).__module__ or ""
                    if owner.startswith("apache_beam.") and not isinstance(windowfn, GlobalWindows):
                        return reader
                todo.append(reader)
    return None


__all__ = [
    "dict_into_shuffle",
    "far_timestamp",
    "far_timestamp_finding",
    "shown",
    "unkeyed_state",
]
