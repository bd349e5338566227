"""What the element coder does to values crossing a shuffle (BD305, BD306).

Between fused steps elements are Python objects; at a shuffle (GroupByKey, and the
CombinePerKey and Reshuffle built on it) the worker *encodes* them with the coder Beam chose
from the PCollection's type, and that coder is not the pickler of ``--pickle_library``:

* BD305: a value of a type with no coder of its own goes through Beam's fallback coder, the
  standard ``pickle``, which refers to a function by name. A lambda or a ``def`` made inside
  the DoFn fails as "Can't pickle local object 'F.<locals>.g'", a function of the script as
  "attribute lookup g on __main__ failed" (the worker's ``__main__`` is Beam's).
* BD306: a declared type picks a coder that returns another type. A ``typing.NamedTuple``
  with ``RowCoder`` (a schema) brings a ``Tuple[...]`` field back as a ``list`` (unhashable:
  it no longer works as a dict key or in a set, and ``==`` a tuple is False); ``int`` picks
  ``VarIntCoder``, which truncates a float (``2.7`` arrives as ``2``). Reported only where
  the declared type says it and the code shows the value (a float expression for ``int``).

Both are decided from the DoFn that produces the elements: the first user transform upstream
of the shuffle, through Beam's own steps (Reshuffle's key-adding Map), never through another
user transform, which may reshape the element. (Proven on isolated workers in
tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.diagnostics import Diagnostic


def _user_callable(node: Any) -> Any | None:
    """The user's function (Map/FlatMap/MapTuple/Filter) or DoFn of a ParDo node."""
    from apache_beam.transforms.core import ParDo

    from beam_deps.pipeline.payloads import unwrap_callable

    transform = getattr(node, "transform", None)
    if not isinstance(transform, ParDo):
        return None
    fn = transform.fn
    return unwrap_callable(fn._fn) if hasattr(fn, "_fn") else fn


def _is_beams(target: Any) -> bool:
    module = getattr(target, "__module__", None) or type(target).__module__ or ""
    return module.startswith("apache_beam.")


def _producers_into_shuffles(pipeline: Any) -> Iterator[tuple[Any, Any, Any, bool]]:
    """(producer node, GroupByKey node, the producer's user function or DoFn, wrapped):
    ``wrapped`` when Beam's own steps in between may have put the element inside another
    (Reshuffle pairs it with a random key), so the producer's keys are values there."""
    from apache_beam.pipeline import PipelineVisitor
    from apache_beam.transforms.core import GroupByKey

    shuffles: list[Any] = []

    class Leaves(PipelineVisitor):
        def visit_transform(self, node: Any) -> None:
            if isinstance(node.transform, GroupByKey):
                shuffles.append(node)

    pipeline.visit(Leaves())
    for gbk in shuffles:
        producer = getattr(gbk.inputs[0], "producer", None) if gbk.inputs else None
        wrapped = False
        for _ in range(4):
            target = _user_callable(producer) if producer is not None else None
            if target is None:
                break
            if not _is_beams(target):
                yield producer, gbk, target, wrapped
                break
            wrapped = True
            producer = getattr(producer.inputs[0], "producer", None) if producer.inputs else None


def _emitting_functions(target: Any) -> list[types.FunctionType]:
    """The functions whose results are the elements: a callable itself, or a DoFn's
    ``process`` (defined in the user's code)."""
    if isinstance(target, types.FunctionType):
        return [target]
    process = getattr(type(target), "process", None)
    return [process] if isinstance(process, types.FunctionType) else []


def _where(node: Any) -> dict[str, Any]:
    file, line = getattr(node, "_beam_deps_location", (None, None))
    label = getattr(node, "_beam_deps_user_label", None) or node.full_label
    return {"transform": label, "file": file, "line": line}


def function_element_diagnostics(
    pipeline: Any, library: str, save_main_session: bool
) -> list[Diagnostic]:
    """BD305: functions emitted inside the element values that reach a shuffle."""
    from beam_deps.check.detectors.emitted import emitted_functions

    out: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    for producer, gbk, target, _ in _producers_into_shuffles(pipeline):
        for function in _emitting_functions(target):
            for what, name in emitted_functions(function) or ():
                if what == "script" and library.startswith("dill") and save_main_session:
                    continue  # dill's main session puts the script's functions in __main__
                where = _where(producer)
                if (where["transform"], name) in seen:
                    continue
                seen.add((where["transform"], name))
                if what == "local":
                    error = f"Can't pickle local object '{name}'"
                    kind = "a function made inside the transform's code"
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


def element_findings(analyses: Any) -> list[Diagnostic]:
    """Every finding of this module for the pipelines analysed at their ``run()``
    (``script.PipelineAnalysis``: ``captured.pipeline``, ``captured.pickle_library``,
    ``save_main_session``)."""
    out: list[Diagnostic] = []
    for analysis in analyses:
        captured = analysis.captured
        out += function_element_diagnostics(
            captured.pipeline, captured.pickle_library, analysis.save_main_session
        )
    return out


__all__ = ["element_findings", "function_element_diagnostics"]
