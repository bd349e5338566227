"""Functions inside the elements that reach a shuffle (BD305).

Between fused steps elements are Python objects; at a shuffle (GroupByKey, and the
CombinePerKey and Reshuffle built on it) the worker *encodes* them with the coder Beam chose
from the PCollection's type, and that coder is not the pickler of ``--pickle_library``. A
value of a type with no coder of its own goes through Beam's fallback coder, the standard
``pickle``, which refers to a function by name: a lambda or a ``def`` made inside the DoFn
fails as "Can't pickle local object 'F.<locals>.g'", a function of the script as "attribute
lookup g on __main__ failed" (the worker's ``__main__`` is Beam's). What a declared type's
coder does to values is declared_types' (BD306, BD308). (Proven on isolated workers in
tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

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


__all__ = ["function_element_diagnostics"]
