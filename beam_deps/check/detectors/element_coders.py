"""Functions inside the elements that reach a shuffle (BD305).

Between fused steps elements are Python objects; at a shuffle (GroupByKey, and the
CombinePerKey and Reshuffle built on it) the worker *encodes* them with the coder Beam chose
from the PCollection's type, and that coder is not the pickler of ``--pickle_library``. A
value of a type with no coder of its own goes through Beam's fallback coder, the standard
``pickle``, which refers to a function by name: a lambda or a ``def`` made inside the DoFn
fails as "Can't pickle local object 'F.<locals>.g'", a function of the script as "attribute
lookup g on __main__ failed" (the worker's ``__main__`` is Beam's). What a declared type's
coder does to values is declared_types' (BD306, BD308).

A CombineFn's accumulators cross the shuffle too: Beam combines each bundle's inputs before
the GroupByKey (combiner lifting, on Dataflow and every portable runner) and encodes the
partial accumulators with ``get_accumulator_coder()``, by default the same fallback to the
standard pickle. An accumulator that holds a function (``{"preprocess": self.preprocess,
"refs": []}``, apache/beam#28558) fails there whatever the pickler: a function the CombineFn
object holds is the copy its payload made, "not the same object as __main__.f" even where
dill's main session defines ``f``. Found by calling ``create_accumulator()`` (Beam calls it
on every worker) on a CombineFn without a ``setup`` or an accumulator coder of its own, as
known_elements runs user code: ``contained()``, within a second.
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

import types
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.diagnostics import Diagnostic


def function_element_diagnostics(
    pipeline: Any, library: str, save_main_session: bool
) -> list[Diagnostic]:
    """BD305: functions emitted inside the element values that reach a shuffle."""
    from beam_deps.check.detectors.emitted import emitted_functions

    out: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    for producer, gbk, target in shuffles.producers_into_shuffles(pipeline):
        for function in shuffles.emitting_functions(target):
            for what, name in emitted_functions(function) or ():
                if what == "script" and library.startswith("dill") and save_main_session:
                    continue  # dill's main session puts the script's functions in __main__
                where = shuffles.where(producer)
                if (where["transform"], name) in seen:
                    continue
                seen.add((where["transform"], name))
                if what == "local":
                    error = f"Can't pickle local object '{name}'"
                    kind = (
                        "a function made inside the transform's code"
                        if name.startswith(f"{function.__qualname__}.")
                        else f"a local function {name.split('.<locals>')[0]}() returns"
                    )
                else:
                    error = (
                        f"Can't pickle <function {name} at 0x...>: "
                        f"attribute lookup {name} on __main__ failed"
                    )
                    kind = "a function of your script"
                out.append(
                    diagnostic(
                        "BD305",
                        f"{name} ({kind}) is emitted inside the elements that reach the "
                        f"shuffle of {gbk.full_label!r}; elements are encoded with the standard "
                        f"pickle whatever --pickle_library says, and the worker will fail with "
                        f'"{error}"',
                        path=name,
                        **where,
                    )
                )
    return out


def _functions_in(value: Any, depth: int = 0) -> list[types.FunctionType]:
    """The functions in a value and its lists, tuples, sets and dicts (values), three deep."""
    if isinstance(value, types.FunctionType):
        return [value]
    if depth >= 3:
        return []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return [f for item in list(value)[:100] for f in _functions_in(item, depth + 1)]
    return []


def _standard_pickle_error(function: types.FunctionType, held: bool, dill_session: bool) -> str:
    """What the standard pickle says on the worker, or "" where it pickles ``function``."""
    name = function.__qualname__
    if "<locals>" in name:
        return f"Can't pickle local object '{name}'"
    if function.__module__ != "__main__":
        return ""  # by reference to an importable module
    if dill_session and not held:
        return ""  # dill's main session defines it in the worker's __main__
    if dill_session:  # the payload's copy, never the worker's __main__.f
        reason = f"it's not the same object as __main__.{name}"
    else:
        reason = f"attribute lookup {name} on __main__ failed"
    return f"Can't pickle <function {name} at 0x...>: {reason}"


def _new_accumulator(fn: Any) -> Any:
    """``fn.create_accumulator()``, as known_elements runs user code: contained (no write,
    connection or subprocess) and in a second at most; raises where it did not finish."""
    from beam_deps.check.detectors.contained import Reached, contained
    from beam_deps.pipeline.loader import ScriptTimeout, time_limit

    try:
        with time_limit(1.0), contained():
            return fn.create_accumulator()
    except (Reached, ScriptTimeout) as exc:
        raise RuntimeError("create_accumulator reached out or hung: not claimed") from exc


def accumulator_function_diagnostics(
    pipeline: Any, library: str, save_main_session: bool
) -> list[Diagnostic]:
    """BD305 for a user CombineFn whose new accumulator holds a function the worker's
    standard pickle cannot encode."""
    from apache_beam.transforms.core import CombineFn

    from beam_deps.check.detectors.accumulators import user_combines

    out: list[Diagnostic] = []
    seen: set[int] = set()
    dill_session = library.startswith("dill") and save_main_session
    for node, fn in user_combines(pipeline):
        cls = type(fn)
        if id(fn) in seen or cls.setup is not CombineFn.setup:
            continue
        if cls.get_accumulator_coder is not CombineFn.get_accumulator_coder:
            continue
        seen.add(id(fn))
        try:
            accumulator = _new_accumulator(fn)
            held = {id(f) for f in _functions_in(list(vars(fn).values()))}
            found = [
                (f, error)
                for f in _functions_in(accumulator)
                if (error := _standard_pickle_error(f, id(f) in held, dill_session))
            ]
        except Exception:  # noqa: BLE001 - a hostile or failing user object: no finding
            continue
        if not found:
            continue
        function, error = found[0]
        where = shuffles.where(node)
        out.append(
            diagnostic(
                "BD305",
                f"{cls.__qualname__}.create_accumulator puts {function.__qualname__} (a "
                f"function) in the accumulator; Beam combines each bundle before the shuffle "
                f"of {where['transform']!r} and encodes the accumulators with the standard "
                f'pickle whatever --pickle_library says: the worker will fail with "{error}"',
                path=f"{where['transform']} > {cls.__qualname__}.create_accumulator",
                fix="Keep functions out of the accumulator: hold the function on the "
                "CombineFn (`self.preprocess`, set in `__init__`) and call it in add_input, "
                "so the accumulator holds data only.",
                **where,
            )
        )
    return out


__all__ = ["accumulator_function_diagnostics", "function_element_diagnostics"]
