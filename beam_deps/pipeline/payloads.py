"""Turn a constructed pipeline into the exact payloads Beam would ship, one analysis each.

Rather than guess which objects Beam pickles (DoFns with their args and side-input
callables, CombineFns, sources, sinks, WindowFns, coders, Create values ...), we let Beam
tell us: we serialise the pipeline with Beam's own ``Pipeline.to_runner_api()`` and stand
in for ``pickler.dumps`` while it runs. Each object Beam hands to ``dumps`` is analysed
once by ``beam_deps.pickling.analyse()``, whose payload *is* Beam's byte string, and that
string is what Beam puts in the proto. So every payload is pickled exactly once, and what
we judge is what Beam would ship. A stack of the transforms being translated tells us which
transform each payload belongs to; the loader recorded the user's line for each transform.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.diagnostics import Diagnostic, Report
from beam_deps.pipeline.locations import is_user_file

_ROOT = "\x00payload"  # a root label no real path can start with; rewritten below


@dataclass
class Payload:
    """One pickled payload of a pipeline, with where it comes from and what is wrong with it."""

    index: int
    transform: str | None
    file: str | None
    line: int | None
    kind: str
    name: str
    obj: Any
    data: bytes | None
    use_zlib: bool
    report: Report
    references: list[tuple[str, str]] = field(default_factory=list)
    user_transform: str | None = None  # the transform the user applied (Beam's step inside it)
    duplicate_of: int | None = None  # a wrapper whose content is reported by another payload


@dataclass
class Serialized:
    payloads: list[Payload]
    diagnostics: list[Diagnostic]
    proto: Any = None


def collect_payloads(
    pipeline: Any, library: str, on_payload: Callable[[Payload], None] | None = None
) -> Serialized:
    """Serialise ``pipeline`` as a runner would and return every payload Beam pickled.

    ``on_payload`` sees each payload as soon as it is made (the simulated worker starts on
    it while Beam goes on serialising the rest).
    """
    collector = _Collector(library, on_payload)
    diagnostics: list[Diagnostic] = []
    proto = None
    from beam_deps.pickling import using_library

    with using_library(library), collector.installed():
        try:
            proto = pipeline.to_runner_api()
        except Exception as exc:  # noqa: BLE001 - Beam failing to translate is a finding
            diagnostics.append(_translation_failure(exc, collector))
    _mark_source_wrappers(collector.payloads)
    return Serialized(collector.payloads, diagnostics, proto)


def pickled_by_beam(pipeline: Any, library: str) -> list[bytes]:
    """The payloads ``to_runner_api()`` makes, exactly as Beam makes them, without analysis
    (what ``stage`` reads the payloads' imports from)."""
    from beam_deps.pickling import using_library

    payloads: list[bytes] = []

    def keep(o: Any, flags: dict[str, Any], original_dumps) -> bytes:
        payloads.append(original_dumps(o, **flags))
        return payloads[-1]

    with using_library(library), standing_in_for_dumps(keep):
        pipeline.to_runner_api()
    return payloads


@contextlib.contextmanager
def standing_in_for_dumps(handler: Callable[..., bytes]) -> Iterator[None]:
    """Beam's ``pickler.dumps`` calls ``handler(o, flags, original_dumps)`` while the block
    runs; what it returns is what Beam puts in the proto. ``original_dumps(o, **flags)`` is
    Beam's own (flags a Beam version does not know are dropped: 2.61-2.64 have no
    determinism flags). A call made while the handler runs (analysis pickling through Beam's
    facade) goes straight to Beam. The one place Beam's pickler is stood in for: ``check``
    (every payload analysed) and ``stage`` (the payloads' imports) serialise alike."""
    from apache_beam.internal import pickler

    from beam_deps.beam import profile

    beam_dumps = pickler.dumps
    accepted = profile().dumps_flags
    busy = False

    def original_dumps(o, **flags):
        return beam_dumps(o, **{k: v for k, v in flags.items() if k in accepted})

    def dumps(o, enable_trace=True, use_zlib=False, enable_best_effort_determinism=False,
              enable_stable_code_identifier_pickling=False):  # fmt: skip
        nonlocal busy
        flags = {
            "enable_trace": enable_trace,
            "use_zlib": use_zlib,
            "enable_best_effort_determinism": enable_best_effort_determinism,
            "enable_stable_code_identifier_pickling": enable_stable_code_identifier_pickling,
        }
        if busy:
            return original_dumps(o, **flags)
        busy = True
        try:
            return handler(o, flags, original_dumps)
        finally:
            busy = False

    pickler.dumps = dumps
    try:
        yield
    finally:
        pickler.dumps = beam_dumps


_NOT_SAME = re.compile(r"Can't pickle <class '([^']+)'>: it's not the same object as (\S+)")


def _translation_failure(exc: Exception, collector: _Collector) -> Diagnostic:
    node = collector.current()
    cause = exc.__cause__ or exc
    same = _NOT_SAME.search(str(cause))
    if same:
        return diagnostic(
            "BD303",
            f"Beam cannot encode instances of {same.group(1)}: the class was re-created "
            f'("foo is not foo"), so pickle says "{same.group(0)}". With dill, '
            "--save_main_session reloads your script's globals into __main__ before "
            "submission, replacing the class the existing instances belong to",
            severity="error",
            transform=getattr(node, "full_label", None),
            path=same.group(1),
            **_node_location(node),
        )
    return diagnostic(
        "BD002",
        f"Beam could not translate the pipeline: {type(cause).__name__}: {cause}",
        transform=getattr(node, "full_label", None),
        **_node_location(node),
    )


def _node_location(node: Any) -> dict[str, Any]:
    file, line = getattr(node, "_beam_deps_location", (None, None))
    return {"file": file, "line": line}


class _Collector:
    def __init__(self, library: str, on_payload: Callable[[Payload], None] | None) -> None:
        self.library = library
        self.on_payload = on_payload
        self.payloads: list[Payload] = []
        self.stack: list[Any] = []

    def current(self) -> Any:
        return self.stack[-1] if self.stack else None

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        from apache_beam.pipeline import AppliedPTransform

        original_to_api = AppliedPTransform.to_runner_api
        collector = self

        def to_runner_api(node, context):
            collector.stack.append(node)
            try:
                return original_to_api(node, context)
            finally:
                collector.stack.pop()

        AppliedPTransform.to_runner_api = to_runner_api
        try:
            with standing_in_for_dumps(self.record):
                yield
        finally:
            AppliedPTransform.to_runner_api = original_to_api

    def record(self, o: Any, flags: dict[str, Any], original_dumps) -> bytes:
        from beam_deps.pickling import analyse

        node = self.current()
        kind, name = describe(o)
        plain = not (
            flags["use_zlib"]
            or flags["enable_best_effort_determinism"]
            or flags["enable_stable_code_identifier_pickling"]
        )
        references: list[tuple[str, str]] = []
        if plain:
            analysis = analyse(o, self.library, label=_ROOT)
            data, report, references = analysis.payload, analysis.report, analysis.references
        else:
            # Coders are pickled with zlib: Beam's bytes come from Beam; we analyse user
            # coders separately (their own pickle), and everything else only on failure.
            report = Report()
            try:
                data = original_dumps(o, **flags)
            except Exception:  # noqa: BLE001
                data = None
            if data is None or _is_user_object(o):
                analysis = analyse(o, self.library, label=_ROOT)
                report, references = analysis.report, analysis.references
        _rename_paths(report, o, kind, name)
        file, line = getattr(node, "_beam_deps_location", (None, None))
        self.payloads.append(
            Payload(
                index=len(self.payloads),
                transform=getattr(node, "full_label", None),
                user_transform=getattr(node, "_beam_deps_user_label", None),
                file=file,
                line=line,
                kind=kind,
                name=name,
                obj=o,
                data=data,
                use_zlib=bool(flags["use_zlib"]),
                report=report,
                references=references,
            )
        )
        if self.on_payload is not None:
            self.on_payload(self.payloads[-1])
        if data is None:
            # Beam would stop here with the pickling error; we report it and keep going.
            return original_dumps(None, **flags)
        return data


def _is_user_object(o: Any) -> bool:
    module = getattr(type(o), "__module__", "") or ""
    if module == "__main__":
        return True
    import sys

    mod = sys.modules.get(module)
    return bool(mod is not None and is_user_file(getattr(mod, "__file__", "") or ""))


def describe(o: Any) -> tuple[str, str]:
    """(kind, display name) of an object handed to ``pickler.dumps``."""
    from apache_beam.coders.coders import Coder
    from apache_beam.io.iobase import SourceBase
    from apache_beam.transforms.core import CallableWrapperDoFn, CombineFn, DoFn, WindowFn

    if isinstance(o, tuple) and len(o) == 5 and isinstance(o[0], DoFn):
        fn = o[0]
        sink = _sink_in(o)
        if sink is not None:
            return "sink", type(sink).__name__
        if isinstance(fn, CallableWrapperDoFn):
            wrapped = user_code(fn)
            if _is_read_wrapper(wrapped):
                source = _read_wrapper_source(wrapped)
                return "source", type(source).__name__
            return "callable", _callable_name(wrapped)
        return "dofn", type(fn).__name__
    if isinstance(o, CombineFn):
        return "combinefn", type(o).__name__
    if isinstance(o, SourceBase):
        return "source", type(o).__name__
    if isinstance(o, WindowFn):
        return "windowfn", type(o).__name__
    if isinstance(o, Coder):
        return "coder", type(o).__name__
    if callable(o):
        return "callable", _callable_name(o)
    return "value", type(o).__name__


def unwrap_callable(fn: Any) -> Any:
    """The user's callable inside Beam's Map/Filter/MapTuple wrapper lambdas."""
    for _ in range(4):
        code = getattr(fn, "__code__", None)
        if code is None or not code.co_filename.endswith(_CORE) or "fn" not in code.co_freevars:
            return fn
        fn = fn.__closure__[code.co_freevars.index("fn")].cell_contents
    return fn


def wrapper_kind(dofn: Any) -> str | None:
    """Which of Beam's callable transforms made this DoFn: ``"Map"``, ``"MapTuple"``,
    ``"FlatMapTuple"``, ``"Filter"`` (each wraps the user's callable in a lambda of Beam's
    core.py, named after it) or ``"FlatMap"`` (it calls the callable itself); None for a DoFn
    of its own. The one reading of the wrappers: what the callable's return value is (the
    element, or an iterable of them) and whether it gets the element's fields
    (``fn(*element, *args)``) both follow from it."""
    from apache_beam.transforms.core import CallableWrapperDoFn

    if not isinstance(dofn, CallableWrapperDoFn):
        return None
    wrapper = dofn._fn
    code = getattr(wrapper, "__code__", None)
    if code is None or not code.co_filename.endswith(_CORE) or "fn" not in code.co_freevars:
        return "FlatMap"
    kind = getattr(wrapper, "__qualname__", "").split(".", 1)[0]
    return kind if kind in ("Map", "MapTuple", "FlatMapTuple", "Filter") else None


_CORE = ("transforms/core.py", "transforms\\core.py")


def user_code(fn: Any) -> Any:
    """What a ParDo's DoFn runs of the user's: the callable a Map/FlatMap/Filter/MapTuple
    wrapper (or a CombineFn made of a callable) holds, or the DoFn itself. Every detector
    that reads the user's function of a step starts here, so they agree on what it is (a
    DoFn of the user's own that keeps a function as ``self._fn`` is still that DoFn)."""
    from apache_beam.transforms.core import CallableWrapperCombineFn, CallableWrapperDoFn

    if isinstance(fn, CallableWrapperDoFn | CallableWrapperCombineFn):
        return unwrap_callable(fn._fn)
    return fn


def _sink_in(pardo: tuple) -> Any:
    """The user's Sink inside one of Beam's Write steps (as ``fn.sink`` or an argument)."""
    from apache_beam.io.iobase import Sink

    fn, args = pardo[0], pardo[1] or ()
    candidates = [getattr(fn, "sink", None), *args, *(getattr(fn, "_args", None) or ())]
    for candidate in candidates:
        if isinstance(candidate, Sink) and _is_user_object(candidate):
            return candidate
    return None


def _callable_name(fn: Any) -> str:
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if isinstance(name, str):
        return name
    return type(fn).__name__


def _is_read_wrapper(fn: Any) -> bool:
    code = getattr(fn, "__code__", None)
    return bool(
        code is not None
        and getattr(fn, "__qualname__", "") == "Read.expand.<locals>.<lambda>"
        and code.co_filename.endswith(("io/iobase.py", "io\\iobase.py"))
    )


def _read_wrapper_source(fn: Any) -> Any:
    for cell in fn.__closure__ or ():
        read = cell.cell_contents
        if hasattr(read, "source"):
            return read.source
    return None


def _mark_source_wrappers(payloads: list[Payload]) -> None:
    """Beam wraps a bounded source in ``Map(lambda _: self.source)`` and also pickles the
    source itself in the Read payload: report the source once, under its own name."""
    sources = {id(p.obj): p.index for p in payloads if p.kind == "source" and p.obj is not None}
    for p in payloads:
        if p.kind == "source" and isinstance(p.obj, tuple):
            source = _read_wrapper_source(user_code(p.obj[0]))
            if id(source) in sources:
                p.duplicate_of = sources[id(source)]


_R = re.escape(_ROOT)
_PARDO_PREFIXES = (
    (re.compile(_R + r"\[0\]\._fn(?: closure 'fn')*(?: closure 'self'\.source)"), "{name}"),
    (re.compile(_R + r"\[0\]\._fn(?: closure 'fn')*"), "{name}"),
    (re.compile(_R + r"\[0\]"), "{name}"),
    (re.compile(_R + r"\[1\]"), "{name} args"),
    (re.compile(_R + r"\[2\]"), "{name} kwargs"),
    (re.compile(_R + r"\[3\]"), "{name} side inputs"),
    (re.compile(_R + r"\[4\]"), "{name} windowing"),
)


# Beam's Write steps hold the sink as ``_WriteBundleDoFn.sink`` or as their first argument.
_SINK_PREFIX = re.compile(
    _R + r"\[0\](?:\.sink|\._fn(?: closure 'fn')*)?(?=\.|$)|" + _R + r"\[1\]\[0\]"
)


def _rename_paths(report: Report, o: Any, kind: str, name: str) -> None:
    """Make paths read from the user's object, not from Beam's payload tuple and wrappers."""
    is_pardo = isinstance(o, tuple) and len(o) == 5
    for d in report.diagnostics:
        for attr in ("path", "message"):
            text = getattr(d, attr)
            if not text or _ROOT not in text:
                continue
            if is_pardo and kind == "sink":
                text = _SINK_PREFIX.sub(name, text)
            if is_pardo:
                for pattern, replacement in _PARDO_PREFIXES:
                    text = pattern.sub(replacement.format(name=name), text)
            setattr(d, attr, text.replace(_ROOT, name))
