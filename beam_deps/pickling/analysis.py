"""Pickle an object once, exactly as Beam would, and report everything that will go wrong.

The happy path is cheap on purpose: one Beam ``dumps`` with an observer attached, a scan of
the objects it visited, and a read of the pickle stream for by-name references. Only when
something is wrong do we pay for walking the object graph to find paths.
"""

from __future__ import annotations

import copyreg
import dataclasses
import enum
import pickle
import sys
import types
from dataclasses import dataclass, field
from typing import Any

from apache_beam.internal import pickler as beam_pickler

from beam_deps.diagnostics import Diagnostic, Report, diagnostic
from beam_deps.pickling import hazards
from beam_deps.pickling.graph import class_qualname, is_pickled_by_value, root_label
from beam_deps.pickling.inspector import find_unpicklable, iter_graph, locate
from beam_deps.pickling.libraries import normalize_library, observing, using_library
from beam_deps.pickling.locations import is_user_file, user_location
from beam_deps.pickling.references import format_reference


@dataclass
class Analysis:
    """The payload Beam would ship (None if it cannot be made) and what is wrong with it."""

    payload: bytes | None
    report: Report
    references: list[tuple[str, str]] = field(default_factory=list)


def analyse(
    obj: Any,
    library: str | None = "cloudpickle",
    label: str | None = None,
    *,
    large_payload: int = hazards.LARGE_PAYLOAD_BYTES,
) -> Analysis:
    """Pickle ``obj`` through Beam's facade and diagnose it.

    Never raises because of the object: its problems are diagnostics. An unknown
    ``library`` name is the caller's mistake and raises ValueError.
    """
    report = Report()
    label = label or _safe_root_label(obj)
    library = normalize_library(library)
    try:
        with using_library(library):
            return _analyse(obj, library, label, report, large_payload)
    except ImportError as exc:
        report.diagnostics.append(diagnostic("BD407", str(exc), path=label))
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - our failure must not become the user's crash
        report.diagnostics.append(
            diagnostic(
                "BD001",
                f"analysis of {label} stopped early: {type(exc).__name__}: {exc}",
                path=label,
            )
        )
    return Analysis(None, report)


def check_object(obj: Any, pickle_library: str = "cloudpickle") -> Report:
    """Check that ``obj`` pickles as Beam would pickle it and will behave on a worker."""
    return analyse(obj, pickle_library).report


def _safe_root_label(obj: Any) -> str:
    try:
        return root_label(obj)
    except Exception:  # noqa: BLE001
        return type(obj).__name__


def _analyse(obj: Any, library: str, label: str, report: Report, large: int) -> Analysis:
    seen: list[Any] = []
    try:
        with observing(seen):
            payload = beam_pickler.dumps(obj, enable_trace=False)
    except BaseException as exc:  # noqa: BLE001 - user reducers raise anything
        if isinstance(exc, KeyboardInterrupt):
            raise
        del seen
        report.extend(_failure_diagnostics(obj, exc, library, label))
        return Analysis(None, report)

    scan = _scan(seen, library)
    del seen
    refs = sorted(scan.by_reference)
    report.payload_size = len(payload)
    report.by_reference = [format_reference(r) for r in refs if r[0] != "builtins"]
    report.by_value = list(scan.by_value)
    if scan.hazards:
        report.extend(_hazard_diagnostics(obj, scan.hazards, library, label))
    if len(payload) > large:
        report.diagnostics.append(
            diagnostic(
                "BD109",
                f"{label} pickles to {len(payload):,} bytes (compressed); the warning threshold "
                f"is {large:,}",
                path=label,
                **_root_location(obj),
            )
        )
    return Analysis(payload, report, refs)


def _root_location(obj: Any) -> dict[str, Any]:
    filename, line = user_location([(obj, "")])
    return {"file": filename, "line": line}


@dataclass
class _Scan:
    hazards: list[tuple[Any, hazards.Hazard]] = field(default_factory=list)
    by_value: dict[str, None] = field(default_factory=dict)
    by_reference: dict[tuple[str, str], None] = field(default_factory=dict)


_PLAIN = frozenset(
    {int, float, complex, bool, bytes, bytearray, tuple, list, dict, set, frozenset}
    | {type(None), types.CodeType, types.CellType}
)


def _scan(seen: list[Any], library: str) -> _Scan:
    """One pass over the objects the pickler visited.

    Every object saved by name was visited first (pickle asks ``persistent_id`` before
    anything else): classes, functions and modules directly, and objects whose reduce returns
    a name (NumPy ufuncs) through one extra reduce call. So the by-reference list comes from
    here, with no need to parse the pickle stream.
    """
    secrets = hazards.secret_detector()
    out = _Scan()
    for obj in dict(zip(map(id, seen), seen)).values():  # each object once, in C
        cls = type(obj)
        if cls in _PLAIN:
            continue
        if cls is str:
            reason = secrets.check(obj)
            if reason:
                out.hazards.append(
                    (obj, hazards.Hazard("BD110", None, f"{reason} is in the payload"))
                )
        elif cls is types.ModuleType:
            out.by_reference[(obj.__name__, "")] = None
        elif cls is types.FunctionType or isinstance(obj, type):
            _scan_code_object(obj, library, out)
        elif cls is types.BuiltinFunctionType:
            owner = obj.__self__
            if owner is None or isinstance(owner, types.ModuleType):
                out.by_reference[(obj.__module__ or "builtins", obj.__qualname__)] = None
        else:
            hazard = hazards.describe_pickled(obj, library)
            if hazard is not None:
                out.hazards.append((obj, hazard))
            elif cls in copyreg.dispatch_table or cls.__reduce__ is not object.__reduce__:
                _scan_named_reduce(obj, out)
    return out


def _scan_named_reduce(obj: Any, out: _Scan) -> None:
    """Objects that pickle as a name (NumPy ufuncs, singletons) are references too."""
    try:
        reducer = copyreg.dispatch_table.get(type(obj))
        rv = reducer(obj) if reducer is not None else obj.__reduce_ex__(4)
        if isinstance(rv, str):
            out.by_reference[(pickle.whichmodule(obj, rv), rv)] = None
    except KeyboardInterrupt:
        raise
    except BaseException:  # noqa: BLE001 - it pickled a moment ago; nothing to report here
        pass


def _scan_code_object(obj: Any, library: str, out: _Scan) -> None:
    module = obj.__module__
    qualname = obj.__qualname__ if isinstance(obj, types.FunctionType) else class_qualname(obj)
    if module == "builtins" or not is_pickled_by_value(obj, library):
        out.by_reference[(module, qualname)] = None
        return
    out.by_value[f"{module}:{qualname}"] = None
    if isinstance(obj, type) and _defined_in_user_code(obj):
        hazard = hazards.describe_class(obj, True)
        if hazard is not None and (hazard.code == "BD301" or _identity_sensitive(obj)):
            out.hazards.append((obj, hazard))


def _defined_in_user_code(cls: type) -> bool:
    """Beam's own nested classes (Create's MaybeReshuffle, ...) are not the user's to fix."""
    module = sys.modules.get(cls.__module__)
    filename = getattr(module, "__file__", None) if module is not None else None
    if cls.__module__ == "__main__" and filename is None:
        return True  # an interactive session or a script run from stdin
    return is_user_file(filename)


def _identity_sensitive(cls: type) -> bool:
    """Types users compare by identity or equality across payloads."""
    return (
        issubclass(cls, enum.Enum)
        or dataclasses.is_dataclass(cls)
        or (issubclass(cls, tuple) and hasattr(cls, "_fields"))
    )


def _hazard_diagnostics(
    root: Any, found: list[tuple[Any, hazards.Hazard]], library: str, label: str
) -> list[Diagnostic]:
    paths, complete = locate(root, [obj for obj, _ in found], library, label=label)
    located: list[tuple[str, hazards.Hazard, list[tuple[Any, str]]]] = []
    for obj, hazard in found:
        if id(obj) in paths:
            path, chain = paths[id(obj)]
        elif complete and hazard.code == "BD105":
            continue  # the in-memory copy a file reducer made while pickling, not the user's
        else:
            path, chain = label, [(root, "")]
        located.append((path, hazard, chain))
    out = _located_diagnostics(located)
    if not complete:
        out.append(_partial_note(label))
    return out


def _graph_hazards(root: Any, library: str, label: str, skip: set[int]) -> list[Diagnostic]:
    """Hazards among the parts of an object that did not pickle (no observer to ask)."""
    secrets = hazards.secret_detector()
    located: list[tuple[str, hazards.Hazard, list[tuple[Any, str]]]] = []
    walk = None
    for walk, index in iter_graph(root, library, label=label):
        obj = walk.nodes[index].obj
        if id(obj) in skip:
            continue
        if isinstance(obj, str):
            reason = secrets.check(obj)
            hazard = (
                hazards.Hazard("BD110", None, f"{reason} is in the payload") if reason else None
            )
        elif isinstance(obj, type):
            by_value = is_pickled_by_value(obj, library) and _defined_in_user_code(obj)
            hazard = hazards.describe_class(obj, by_value)
            if hazard is not None and hazard.code != "BD301" and not _identity_sensitive(obj):
                hazard = None
        else:
            hazard = hazards.describe_pickled(obj, library)
        if hazard is not None:
            located.append((walk.path(index), hazard, walk.steps(index)))
    out = _located_diagnostics(located)
    if walk is not None and walk.truncated:
        out.append(_partial_note(label))
    return out


def _partial_note(label: str) -> Diagnostic:
    return diagnostic(
        "BD001",
        f"{label} has too many parts to inspect them all for hazards; some may be unreported",
        path=label,
    )


def _inside(path: str, outer: str) -> bool:
    """``EnrichFn.q.mutex`` is inside ``EnrichFn.q``; ``EnrichFn.q2`` is not."""
    return len(path) > len(outer) and path.startswith(outer) and path[len(outer)] in ".[< "


def _located_diagnostics(
    located: list[tuple[str, hazards.Hazard, list[tuple[Any, str]]]],
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    reported: list[str] = []
    for path, hazard, chain in sorted(located, key=lambda item: len(item[0])):
        # A queue's inner locks, a condition's lock: report the outer object only.
        if hazard.code in ("BD104", "BD108", "BD111") and any(_inside(path, p) for p in reported):
            continue
        reported.append(path)
        filename, line = user_location(chain)
        out.append(
            diagnostic(
                hazard.code,
                hazard.message,
                severity=hazard.severity,
                path=path,
                file=filename,
                line=line,
            )
        )
    return out


def _failure_diagnostics(
    obj: Any, error: BaseException, library: str, label: str
) -> list[Diagnostic]:
    inspection = find_unpicklable(obj, library, error, label=label, is_whole=hazards.is_resource)
    out: list[Diagnostic] = []
    for finding in inspection.findings:
        filename, line = user_location(finding.chain)
        if finding.kind == "recursion":
            out.append(
                diagnostic(
                    "BD102",
                    f"{label} cannot be pickled: {finding.detail}",
                    path=finding.path,
                    file=filename,
                    line=line,
                )
            )
            continue
        hazard = hazards.describe_failure(finding.obj, finding.error)
        out.append(
            diagnostic(
                hazard.code,
                hazard.message,
                severity=hazard.severity or "error",
                path=finding.path,
                file=filename,
                line=line,
            )
        )
    culprits = {id(f.obj) for f in inspection.findings}
    out.extend(_graph_hazards(obj, library, label, culprits))
    for note in inspection.incomplete:
        out.append(diagnostic("BD001", f"analysis incomplete: {note}", path=label))
    if not out:
        out.append(
            diagnostic(
                "BD101",
                f"{label} cannot be pickled ({type(error).__name__}: {error})",
                path=label,
                **_root_location(obj),
            )
        )
    return out
