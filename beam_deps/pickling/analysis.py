"""Pickle an object once, exactly as Beam would, and report everything that will go wrong.

The happy path is cheap on purpose: one Beam ``dumps`` with an observer attached, a scan of
the objects it visited, and a read of the pickle stream for by-name references. Only when
something is wrong do we pay for walking the object graph to find paths.
"""

from __future__ import annotations

import copyreg
import functools
import pickle
import re
import sys
import types
from dataclasses import dataclass, field
from typing import Any

from apache_beam.internal import pickler as beam_pickler

from beam_deps.catalogue import diagnostic
from beam_deps.diagnostics import Diagnostic, Report, Severity
from beam_deps.pickling import hazards
from beam_deps.pickling import walk as paths
from beam_deps.pickling.graph import class_qualname, is_pickled_by_value, root_label
from beam_deps.pickling.inspector import Finding, find_unpicklable, iter_graph, locate
from beam_deps.pickling.libraries import normalize_library, observing, using_library
from beam_deps.pickling.locations import is_third_party_file, is_user_file, user_location
from beam_deps.pickling.references import format_reference
from beam_deps.pickling.walk import attribute_reader, held_only_for_construction, holder_reader


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
                size=len(payload),
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
    # strings held under a name (a dict key, which covers attributes and the globals a
    # by-value function carries; a closure variable, a default), to judge by that name: a
    # ``password`` key, a ``DB_PASSWORD`` global
    named: list[tuple[Any, str]] = field(default_factory=list)


# Dicts wider than this are tables of data, not configuration: their keys are not read.
_MAX_NAMED_ITEMS = 2_000


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
    flagged: set[int] = set()
    objects = dict(zip(map(id, seen), seen))  # each object once, in C
    named = out.named.append
    for obj in objects.values():
        cls = type(obj)
        if cls in _PLAIN:
            if cls is dict and len(obj) <= _MAX_NAMED_ITEMS:
                for name, value in obj.items():
                    if type(value) is str and len(value) >= 8:
                        named((name, value))
            continue
        if cls is str:
            reason = secrets.check(obj)
            if reason:
                flagged.add(id(obj))
                out.hazards.append((obj, _secret_hazard(reason)))
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
    for name, value in out.named:
        if id(value) in flagged or id(value) not in objects:
            continue  # already reported, or not pickled after all
        reason = secrets.check_named(name, value)
        if reason:
            flagged.add(id(value))
            out.hazards.append((value, _secret_hazard(reason)))
    return out


def _secret_hazard(reason: str) -> hazards.Hazard:
    return hazards.Hazard("BD110", None, f"{reason} is in the payload")


def _function_named_strings(fn: types.FunctionType, out: list[tuple[Any, str]]) -> None:
    """The strings a by-value function carries under a name of its code: its closure
    variables and its defaults. (The globals it reads and its keyword-only defaults travel
    as dicts, which the scan reads anyway.)"""
    closure, defaults = fn.__closure__, fn.__defaults__
    if closure:
        for name, cell in zip(fn.__code__.co_freevars, closure):
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if type(value) is str:
                out.append((name, value))
    if defaults:
        code = fn.__code__
        names = code.co_varnames[: code.co_argcount][-len(defaults) :]
        out.extend((n, v) for n, v in zip(names, defaults) if type(v) is str)


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
    if isinstance(obj, types.FunctionType):
        _function_named_strings(obj, out.named)
    if isinstance(obj, type) and _defined_in_user_code(obj):
        hazard = hazards.describe_class(obj, True, library)
        if hazard is not None and (hazard.code == "BD301" or hazards.identity_sensitive(obj)):
            out.hazards.append((obj, hazard))


def _defined_in_user_code(cls: type) -> bool:
    """Beam's own nested classes (Create's MaybeReshuffle, ...) are not the user's to fix."""
    module = sys.modules.get(cls.__module__)
    filename = getattr(module, "__file__", None) if module is not None else None
    if cls.__module__ == "__main__" and filename is None:
        return True  # an interactive session or a script run from stdin
    return is_user_file(filename)


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
    """Hazards among the parts of an object that did not pickle (no observer to ask).

    The parts in ``skip`` failed; they are neither reported here nor walked into.
    """
    secrets = hazards.secret_detector()
    located: list[tuple[str, hazards.Hazard, list[tuple[Any, str]]]] = []
    walk = None
    for walk, index in iter_graph(root, library, label=label, prune=skip):
        obj = walk.nodes[index].obj
        if id(obj) in skip:
            continue
        if isinstance(obj, str):
            reason = secrets.check(obj) or secrets.check_named(
                _held_as(walk.nodes[index].label), obj
            )
            hazard = _secret_hazard(reason) if reason else None
        elif isinstance(obj, type):
            by_value = is_pickled_by_value(obj, library) and _defined_in_user_code(obj)
            hazard = hazards.describe_class(obj, by_value, library)
            if (
                hazard is not None
                and hazard.code != "BD301"
                and not hazards.identity_sensitive(obj)
            ):
                hazard = None
        else:
            hazard = hazards.describe_pickled(obj, library)
        if hazard is not None:
            located.append((walk.path(index), hazard, walk.steps(index)))
    out = _located_diagnostics(located)
    if walk is not None and walk.truncated:
        out.append(_partial_note(label))
    return out


_NAMED_LABEL = re.compile(
    r"\.(?P<attr>\w+)"
    r"|(?:\.keywords)?\[(?P<quote>['\"])(?P<key>.*)(?P=quote)\]"
    r"| (?:closure|global|default) '(?P<var>\w+)'"
)


def _held_as(label: str) -> str | None:
    """The name a path step holds its part under: ``.password``, ``['password']``,
    `` global 'DB_PASSWORD'``; None for a step without one (``[0]``, ``<arg 0>``)."""
    match = _NAMED_LABEL.fullmatch(label)
    if match is None:
        return None
    return match.group("attr") or match.group("key") or match.group("var")


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
        if hazard.code == "BD111" and _captured_by_beam(chain):
            continue  # Beam's own closure keeps the side inputs it was given: not the user's
        if hazard.code == "BD111" and held_only_for_construction(chain):
            continue  # a composite's PCollection attribute no run-time code reads
        # A queue's inner locks, a condition's lock: report the outer object only.
        if hazard.code in ("BD104", "BD108", "BD111") and any(_inside(path, p) for p in reported):
            continue
        reported.append(path)
        filename, line = user_location(chain)
        message, severity = hazard.message, hazard.severity
        reader = None
        if hazard.code == "BD111":
            reader = attribute_reader(chain) or paths.variable_reader(chain)
        if reader is not None:
            message += (
                f", and {reader} reads it there: it fails on the worker (\"'"
                "_InvalidUnpickledPCollection' object is not iterable\" or another error)"
            )
            severity = Severity.ERROR
        user = holder_reader(chain) if hazard.fails_where_used else None
        if user is not None:
            message += f", and {user[0]} uses {user[1]} there"
            severity = Severity.ERROR
        out.append(
            diagnostic(
                hazard.code,
                message,
                severity=severity,
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
    # A culprit inside a library's object (a client's weakref, its thread pool) is reported
    # once, at that object: ``grouped`` gathers them, ``order`` keeps the findings' order.
    order: list[Diagnostic | int] = []
    grouped: dict[int, tuple[int, list[Finding]]] = {}
    culprits: set[int] = set()  # reported as errors: what is inside them is not reported
    for finding in inspection.findings:
        culprits.add(id(finding.obj))
        anchor = None if finding.kind == "recursion" else _library_anchor(finding.chain)
        if anchor is not None:
            key = id(finding.chain[anchor][0])
            if key not in grouped:
                grouped[key] = (anchor, [])
                order.append(key)
            grouped[key][1].append(finding)
            continue
        filename, line = user_location(finding.chain)
        if finding.kind == "recursion":
            order.append(
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
        order.append(
            diagnostic(
                hazard.code,
                hazard.message,
                severity=hazard.severity or "error",
                path=finding.path,
                file=filename,
                line=line,
            )
        )
    culprits.update(grouped)
    out = [
        item
        if isinstance(item, Diagnostic)
        else _library_object_diagnostic(*grouped[item], library, label)
        for item in order
    ]
    failed = [d.path for d in out if d.path]
    for found in _graph_hazards(obj, library, label, culprits):
        # Inside a part that cannot be pickled: moot until that part is made on the worker.
        if not any(_inside(found.path or "", path) for path in failed):
            out.append(found)
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


def _library_object_diagnostic(
    anchor: int, findings: list[Finding], library: str, label: str
) -> Diagnostic:
    """One error for a library's object (a database client...) that fails inside: where it
    fails is in the message, the path stops at the object the user's code holds."""
    first = findings[0]
    obj = first.chain[anchor][0]
    path = label + "".join(step for _, step in first.chain[1 : anchor + 1])
    failing = [
        ("".join(step for _, step in f.chain[anchor + 1 :]), f.obj, f.error) for f in findings
    ]
    resources = _resources_held(obj, [f.obj for f in findings], library)
    hazard = hazards.describe_library_failure(obj, failing, resources)
    filename, line = user_location(first.chain[: anchor + 1])
    return diagnostic(
        hazard.code,
        hazard.message,
        severity=hazard.severity or "error",
        path=path,
        file=filename,
        line=line,
    )


_RESOURCE_WALK_BUDGET = 2_000


def _resources_held(obj: Any, leaves: list[Any], library: str) -> list[str]:
    """Connections, locks and threads among an object's parts (a bounded walk)."""
    kinds: dict[str, None] = {}
    for part in leaves:
        kind = hazards.resource_kind(part)
        if kind:
            kinds[kind] = None
    for walk, index in iter_graph(obj, library, label="", budget=_RESOURCE_WALK_BUDGET):
        kind = hazards.resource_kind(walk.nodes[index].obj)
        if kind:
            kinds[kind] = None
            if len(kinds) == 3:
                break
    return list(kinds)


def _library_anchor(chain: list[tuple[Any, str]]) -> int | None:
    """Where in ``chain`` (root to culprit) the outermost third-party object the user's code
    holds is, if the culprit is inside one (not the culprit itself)."""
    start = 0
    for i in range(len(chain) - 1, -1, -1):
        if _is_user_part(chain[i][0]):
            start = i + 1
            break
    for i in range(start, len(chain) - 1):
        if _is_library_object(chain[i][0]):
            return i
    return None


def _is_user_part(obj: Any) -> bool:
    """A function, class or instance of a class of the user's own code: defined in the
    user's files, or in their project installed from a local folder (``pip install .``,
    editable), which lives in site-packages but is theirs to fix all the same."""
    try:
        if isinstance(obj, types.FunctionType):
            return is_user_file(obj.__code__.co_filename) or _locally_installed(obj.__module__)
        cls = obj if isinstance(obj, type) else type(obj)
        if cls.__module__ == "builtins":
            return False
        return _defined_in_user_code(cls) or _locally_installed(cls.__module__)
    except Exception:  # noqa: BLE001 - a hostile class is not the user's to fix here
        return False


# Never the user's own code, however they are installed (a Beam or beam-deps checkout).
_NEVER_LOCAL = frozenset({"apache_beam", "beam_deps", "builtins", "__main__"})


@functools.cache
def _locally_installed(module: Any) -> bool:
    """A module of a distribution installed from a local folder or as an editable install
    (PEP 610 ``direct_url.json``): the user's own project, not a library from an index."""
    if not isinstance(module, str) or module.split(".")[0] in _NEVER_LOCAL:
        return False
    from beam_deps.environment.distributions import module_owner

    try:
        return bool((module_owner(module) or ("", "", False))[2])
    except Exception:  # noqa: BLE001 - an odd sys.path entry: not known to be the user's
        return False


def _is_beam_function(obj: Any) -> bool:
    """A function of Beam's own code (not a user function Beam wraps)."""
    fn = obj.__func__ if isinstance(obj, types.MethodType) else obj
    if not isinstance(fn, types.FunctionType) or not isinstance(fn.__module__, str):
        return False
    return fn.__module__.startswith("apache_beam.") and not is_user_file(fn.__code__.co_filename)


def _captured_by_beam(chain: list[tuple[Any, str]]) -> bool:
    """Whether the nearest code holding the last part of ``chain`` is Beam's own function
    (CombineGlobally keeps its side inputs in an ``expand`` closure), not the user's."""
    for obj, _ in reversed(chain[:-1]):
        if _is_user_part(obj):
            return False
        if _is_beam_function(obj):
            return True
    return False


# Not "an object of a library": containers, code and the wrappers of code.
_NOT_OBJECTS = (
    dict,
    list,
    tuple,
    set,
    frozenset,
    type,
    types.FunctionType,
    types.MethodType,
    types.CellType,
    types.ModuleType,
)


def _is_library_object(obj: Any) -> bool:
    """An instance of a third-party class that is not a plain container, nor one of Beam's
    carriers of user code (a DoFn, a PTransform, a CombineFn, a WindowFn, a coder)."""
    cls = type(obj)
    try:
        if issubclass(cls, _NOT_OBJECTS):
            return False
        module = sys.modules.get(cls.__module__)
        filename = getattr(module, "__file__", None)
        if not isinstance(filename, str) or not is_third_party_file(filename):
            return False
        if _locally_installed(cls.__module__):
            return False  # the user's own project, installed: its insides are theirs
        return not (cls.__module__.startswith("apache_beam.") and issubclass(cls, _carriers()))
    except Exception:  # noqa: BLE001
        return False


@functools.cache
def _carriers() -> tuple[type, ...]:
    from apache_beam.coders.coders import Coder
    from apache_beam.transforms.window import WindowFn
    from apache_beam.typehints.decorators import WithTypeHints

    return (WithTypeHints, WindowFn, Coder)
