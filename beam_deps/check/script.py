"""`beam-deps check` as a Python API: everything that will break on the workers, at once.

The data flows one way: start the simulated worker (it imports Beam while we work) ->
run the script with ``run()`` intercepted -> at ``run()``, serialise the pipeline exactly
as Beam does, analysing each payload once -> pipeline-level checks (main session, element
classes) -> send every payload to the simulated worker -> version skew -> attach each
finding to its transform and the user's line -> inline ignores, --select/--ignore.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors.arguments import ignored_arguments
from beam_deps.check.detectors.identity import double_import_diagnostics, element_class_diagnostics
from beam_deps.check.detectors.main_session import main_session_diagnostics, save_main_session
from beam_deps.check.detectors.requirements_file import requirements_file_diagnostics
from beam_deps.check.detectors.staged import (
    requirement_names,
    requirement_pins,
    staged_from_options,
)
from beam_deps.check.detectors.worker_model import worker_model_diagnostics
from beam_deps.check.simulated.probe import (
    ProbeBatch,
    ProbeError,
    ProbeInput,
    Staged,
    WorkerProbe,
    findings_to_diagnostics,
)
from beam_deps.check.simulated.walk import imports, user_functions
from beam_deps.diagnostics import Diagnostic, Report, Severity
from beam_deps.environment.skew import image_from_options, version_skew_diagnostics
from beam_deps.environment.workers import WorkerModel, model_for_argv
from beam_deps.errors import UsageError
from beam_deps.pickling.locations import is_user_file
from beam_deps.pipeline import CapturedPipeline, LoadedScript, load_script
from beam_deps.pipeline.loader import compile_script
from beam_deps.pipeline.payloads import Payload, Serialized, collect_payloads

_IGNORE = re.compile(r"#\s*beam-deps:\s*ignore(?:\[(?P<codes>[A-Za-z0-9_,\s]*)\])?")


@dataclass
class PipelineAnalysis:
    """What we learned about one pipeline at its ``run()``."""

    captured: CapturedPipeline
    serialized: Serialized
    diagnostics: list[Diagnostic]
    staged: Staged
    save_main_session: bool
    session_file: str | None = None
    batch: ProbeBatch | None = None


def check_script(
    script: str | os.PathLike | None = None,
    *,
    module: str | None = None,
    argv: Sequence[str] = (),
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    worker_requirements: str | os.PathLike | None = None,
    worker_python: str | None = None,
    worker_image: str | None = None,
    timeout: float | None = None,
) -> Report:
    """Check a pipeline script (or ``-m module``) without submitting it.

    Raises ``UsageError`` (``ScriptError``) when the script cannot be checked at all: missing
    file, syntax error, it raised before building a pipeline, built none, called sys.exit(),
    or ran past ``timeout`` seconds.
    """
    image_requirements, worker_pins = _worker_requirements(worker_requirements)
    if worker_python is not None and not re.fullmatch(r"\d+\.\d+", worker_python):
        raise UsageError(f"--worker-python must look like 3.11, got {worker_python!r}")
    if script is not None:
        compile_script(script)  # a missing or broken script fails before any work starts
    model = model_for_argv(argv, worker_image=worker_image, worker_requirements=worker_requirements)
    probe = WorkerProbe(image_requirements or model.probe_names()).start()
    analyses: list[PipelineAnalysis] = []
    try:
        loaded = load_script(
            script,
            module=module,
            argv=argv,
            timeout=timeout,
            on_pipeline=functools.partial(
                _at_run, probe=probe, worker_requirements=worker_requirements, model=model
            ),
        )
        analyses = [c.result for c in loaded.pipelines if isinstance(c.result, PipelineAnalysis)]
        diagnostics = _assemble(loaded, analyses)
        diagnostics.extend(_skew(analyses, worker_python, worker_image, worker_pins))
    finally:
        probe.close()
        for analysis in analyses:
            if analysis.session_file:
                with contextlib.suppress(OSError):
                    os.unlink(analysis.session_file)
    report = Report(_dedupe(diagnostics))
    for analysis in analyses:
        for payload in analysis.serialized.payloads:
            report.by_reference.extend(payload.report.by_reference)
            report.by_value.extend(payload.report.by_value)
    report.by_reference = sorted(set(report.by_reference))
    report.diagnostics = worker_model_diagnostics(model, report.diagnostics, report.by_reference)
    report.worker = model.as_dict()
    report.by_value = sorted(set(report.by_value))
    sizes = [p.report.payload_size or 0 for a in analyses for p in a.serialized.payloads]
    report.payload_size = sum(sizes) if sizes else None
    report.diagnostics = _inline_ignores(report.diagnostics)
    return report.filtered(_codes(select), _codes(ignore))


def _codes(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        out.extend(c.strip().upper() for c in str(value).split(",") if c.strip())
    return out


def _worker_requirements(path) -> tuple[list[str] | None, dict[str, str] | None]:
    if path is None:
        return None, None
    if not os.path.isfile(path):
        raise UsageError(f"--worker-requirements: no such file: {path}; give a pip freeze file")
    return requirement_names(path), requirement_pins(path)


def _at_run(
    captured: CapturedPipeline,
    loaded: LoadedScript,
    *,
    probe: WorkerProbe,
    worker_requirements: str | os.PathLike | None = None,
    model: WorkerModel | None = None,
) -> PipelineAnalysis:
    """Runs inside the script's ``run()``: __main__ is the script, as when Beam pickles."""
    options, library = captured.options, captured.pickle_library
    saving = save_main_session(options)
    script_file = str(loaded.script_path) if loaded.script_path else captured.file
    # Beam dumps the main session in run() before the runner translates the pipeline (and
    # with dill reloads it into __main__, re-creating its classes): same order here.
    diagnostics, session = main_session_diagnostics(
        options, library, loaded.main_globals, script_file
    )
    staged = staged_from_options(options)
    # Said, never silent: a BD401 about code we could not inspect may be a false alarm.
    diagnostics += [diagnostic("BD413", note) for note in staged.notes]
    diagnostics += requirements_file_diagnostics(options, worker_requirements, model)
    # sys.argv is the script's here (the loader set it), as Beam would parse it
    diagnostics += ignored_arguments(options, sys.argv[1:], captured.file, captured.line)
    batch = probe.begin(
        library=library,
        staged=staged,
        main_session=session,
        main_names=[n for n in loaded.main_globals if not n.startswith("__")],
    )
    serialized = collect_payloads(
        captured.pipeline, library, on_payload=lambda p: batch.send(_probe_input(p))
    )
    batch.close_input()
    diagnostics += element_class_diagnostics(captured.pipeline, library, saving)
    return PipelineAnalysis(captured, serialized, diagnostics, staged, saving, session, batch)


def _probe_input(payload: Payload) -> ProbeInput:
    from beam_deps.pickling import required_modules

    if payload.data:
        return ProbeInput(
            payload.index, payload.data, payload.use_zlib, required_modules(payload.references)
        )
    return ProbeInput(payload.index, b"", imports=_function_imports(payload.obj))


def _assemble(loaded: LoadedScript, analyses: list[PipelineAnalysis]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    search_path = [str(loaded.script_dir)] if loaded.script_dir else []
    search_path += [p for p in loaded.path_added if p not in search_path]
    # A pipeline left half-built by a failing transform often cannot be translated either;
    # that second BD002 only repeats the first.
    half_built = any(f.kind in ("apply", "script") for f in loaded.construction_failures)
    for analysis in analyses:
        captured = analysis.captured
        where = (captured.file, captured.line)
        out.extend(_placed(d, None, where) for d in analysis.diagnostics)
        out.extend(
            d for d in analysis.serialized.diagnostics if not (half_built and d.code == "BD002")
        )
        payloads = analysis.serialized.payloads
        for payload in payloads:
            if payload.duplicate_of is not None:
                continue
            out.extend(_placed_in(d, payload) for d in payload.report.diagnostics)
        out.extend(_probe(analysis, search_path))
    out.extend(_construction_failures(loaded, out))
    if loaded.stopped_early is not None:
        out.append(_stopped_after_run(loaded.stopped_early))
    if loaded.imported_as:
        used = {
            name
            for analysis in analyses
            for payload in analysis.serialized.payloads
            for name in (*payload.report.by_value, *payload.report.by_reference)
        }
        out.extend(
            double_import_diagnostics(
                loaded.main_globals, loaded.imported_as, used, loaded.script_path
            )
        )
    return _merge_confirmations(out)


_CANT_GET = re.compile(r"Can't get attribute '([^']+)' on <module 'apache_beam\.runners\.worker")


def _merge_confirmations(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """A BD412 "Can't get attribute 'X' on sdk_worker_main" is the simulated worker proving
    a BD302 we already reported: keep one diagnostic, marked as confirmed."""
    predicted = {(d.transform, d.path): d for d in diagnostics if d.code == "BD302"}
    out = []
    for d in diagnostics:
        match = _CANT_GET.search(d.message) if d.code == "BD412" else None
        twin = predicted.get((d.transform, match.group(1))) if match else None
        if twin is not None:
            twin.extra["confirmed_by_simulated_worker"] = True
            continue
        out.append(d)
    return out


def _probe(analysis: PipelineAnalysis, search_path: list[str]) -> list[Diagnostic]:
    where = (analysis.captured.file, analysis.captured.line)
    library = analysis.captured.pickle_library
    try:
        if analysis.batch is None:
            raise ProbeError("no batch was sent")
        session, results = analysis.batch.wait()
    except ProbeError as exc:
        failed = diagnostic(
            "BD001", f"the simulated worker failed, so worker-side checks were skipped: {exc}"
        )
        return [_placed(failed, None, where)]
    out = findings_to_diagnostics(
        session, subject="__main__", library=library, search_path=search_path
    )
    out = [_placed(d, None, where) for d in out]
    by_id = {p.index: p for p in analysis.serialized.payloads}
    for pid, findings in sorted(results.items()):
        payload = by_id[pid]
        if payload.duplicate_of is not None:
            continue
        for d in findings_to_diagnostics(
            findings,
            subject=payload.name,
            library=library,
            search_path=search_path,
        ):
            out.append(_placed_in(d, payload))
    return out


def _function_imports(obj: Any) -> list[dict[str, Any]]:
    """Imports inside the user functions of an object that could not be pickled."""
    out = []
    for fn in user_functions(obj):
        code = fn.__code__
        for module, line in imports(code):
            out.append(
                {"module": module, "line": line, "function": fn.__qualname__,
                 "file": code.co_filename}
            )  # fmt: skip
    return out


def _placed_in(d: Diagnostic, payload: Payload) -> Diagnostic:
    """Attach a payload's finding to the transform the user applied (Beam's inner step, as in
    ``Save/WriteImpl/WriteBundles``, goes to ``extra['step']``) and to the user's line."""
    label = payload.user_transform or payload.transform
    if payload.transform and payload.transform != label and not d.transform:
        d.extra.setdefault("step", payload.transform)
    return _placed(d, label, (payload.file, payload.line))


def _placed(d: Diagnostic, transform: str | None, where: tuple[str | None, int | None]):
    """Attach a finding to its transform and to the line of the user's code."""
    d.transform = d.transform or transform
    file, line = where
    if not d.file or not is_user_file(d.file):
        if file:
            d.file, d.line = file, line
    elif file and (d.file, d.line) != (file, line) and transform:
        d.extra.setdefault("applied_at", f"{file}:{line}")
    return d


def _same_transform(a: str | None, b: str | None) -> bool:
    """Equal, or one is a step inside the other (``Save`` and ``Save/WriteImpl``)."""
    if not a or not b:
        return False
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _stopped_after_run(exc: BaseException) -> Diagnostic:
    """The script raised after a pipeline's run(): usually because it reads the job's output
    or metrics, which do not exist since check runs nothing. Not the user's bug, but what
    the script would have built afterwards went unchecked, and that must be said."""
    from beam_deps.pipeline.loader import one_line
    from beam_deps.pipeline.locations import traceback_location

    file, line = traceback_location(exc.__traceback__)
    text = one_line(exc)
    return diagnostic(
        "BD001",
        f"the script raised {type(exc).__name__}{': ' + text if text else ''} after "
        "a pipeline's run() returned (beam-deps runs nothing, so code reading a job's output "
        "or metrics fails here); anything the script would build after this line was not "
        "checked",
        severity="warning",
        file=file,
        line=line,
        fix="Guard the code that reads results (e.g. `if not "
        "os.environ.get('BEAM_DEPS_CHECK'):`), or check each pipeline from its own script or "
        "function.",
    )


def _construction_failures(loaded: LoadedScript, found: list[Diagnostic]) -> list[Diagnostic]:
    out = []
    for failure in loaded.construction_failures:
        if failure.kind == "pickle":
            covered = any(
                _same_transform(d.transform, failure.label)
                and d.code.startswith("BD1")
                and d.severity is Severity.ERROR
                for d in found
            )
            if covered:
                continue
            out.append(
                diagnostic(
                    "BD101",
                    f"Beam could not pickle this transform's function: {failure.message}",
                    transform=failure.label,
                    file=failure.file,
                    line=failure.line,
                )
            )
        elif failure.kind == "runner":
            missing_extra = isinstance(failure.exception, ImportError)
            out.append(
                diagnostic(
                    "BD002",
                    f"Beam cannot create the runner {failure.obj!r} here: {failure.message}; "
                    + (
                        "submitting from a machine without it would fail (beam-deps checked "
                        "the pipeline without the runner)"
                        if missing_extra
                        else "the submission would fail right there"
                    ),
                    severity="warning" if missing_extra else None,
                    file=failure.file,
                    line=failure.line,
                    fix="Install the runner's extra where you submit (e.g. "
                    "`apache-beam[gcp]` for DataflowRunner)"
                    if missing_extra
                    else "Fix --runner: a Beam runner name (DirectRunner, DataflowRunner, "
                    "FlinkRunner, PortableRunner...) or the full path of a PipelineRunner class.",
                )
            )
        elif failure.kind == "input":
            pattern = getattr(getattr(failure.obj, "_pattern", None), "value", None)
            out.append(
                diagnostic(
                    "BD002",
                    f"the input {pattern or ''} cannot be read here ({failure.message[:200]}); "
                    "Beam checks input patterns while it builds the pipeline, so submitting "
                    "from this machine would fail the same way. beam-deps built the rest of "
                    "the pipeline without it",
                    transform=failure.label,
                    file=failure.file,
                    line=failure.line,
                    fix="Pass inputs that exist where you submit from (the pipeline's "
                    "arguments go after `--`, e.g. a small local sample), install the "
                    "filesystem's extra for remote paths (`apache-beam[gcp]` for gs://), or "
                    "build the read with `validate=False` if the files appear only at run time.",
                )
            )
        else:
            what = "applying this transform" if failure.kind == "apply" else "the script"
            out.append(
                diagnostic(
                    "BD002",
                    f"{what} raised {failure.message[:300]}; the rest of the pipeline was not "
                    "built",
                    transform=failure.label,
                    file=failure.file,
                    line=failure.line,
                )
            )
    return out


def _skew(
    analyses: list[PipelineAnalysis],
    worker_python: str | None,
    worker_image: str | None,
    worker_pins: dict[str, str] | None,
) -> list[Diagnostic]:
    from beam_deps.pickling import dill_version

    out: list[Diagnostic] = []
    seen: set[tuple[str, str | None]] = set()
    for analysis in analyses:
        library = analysis.captured.pickle_library
        image = worker_image or image_from_options(analysis.captured.options)
        if (library, image) in seen:
            continue
        seen.add((library, image))
        for d in version_skew_diagnostics(
            library=library,
            worker_python=worker_python,
            worker_image=image,
            worker_pins=worker_pins,
            local_dill=dill_version(),
        ):
            out.append(_placed(d, None, (analysis.captured.file, analysis.captured.line)))
    return out


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic per problem: the same object pickled in a composite and its parts
    (a sink in each of Beam's Write steps), or one function used by several transforms, is
    reported once, the other transforms listed in ``also_in``. A module missing on the
    worker is one problem at one line whichever payload reaches it; a transform's size is
    said once, for its largest payload."""
    kept: dict[tuple, Diagnostic] = {}
    for d in diagnostics:
        key: tuple = (d.code, d.path, d.file, d.line, d.message)
        if d.code.startswith("BD4") and d.file and d.line:
            key = (d.code, d.file, d.line, d.message)
        elif d.code == "BD109" and d.transform:
            key = (d.code, d.transform)
        first = kept.get(key)
        if first is None:
            kept[key] = d
        elif d.code == "BD109":
            if d.extra.get("size", 0) > first.extra.get("size", 0):
                kept[key] = d
        elif d.transform and d.transform != first.transform:
            also = first.extra.setdefault("also_in", [])
            related = (first.transform or "").startswith(d.transform) or d.transform.startswith(
                f"{first.transform}/"
            )
            if d.transform not in also and not related:
                also.append(d.transform)
    return list(kept.values())


@functools.lru_cache(maxsize=256)
def _lines(file: str) -> tuple[str, ...]:
    try:
        return tuple(Path(file).read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return ()


def _ignored_on(file: str | None, line: int | None, code: str) -> bool:
    if not file or not line:
        return False
    lines = _lines(file)
    if not 0 < line <= len(lines):
        return False
    match = _IGNORE.search(lines[line - 1])
    if not match:
        return False
    codes = [c.strip().upper() for c in (match.group("codes") or "").split(",") if c.strip()]
    return not codes or code.startswith(tuple(codes))


def _inline_ignores(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Drop diagnostics whose line (or the line applying their transform) says
    ``# beam-deps: ignore[CODE]``."""
    _lines.cache_clear()
    kept = []
    for d in diagnostics:
        applied = d.extra.get("applied_at")
        applied_file, _, applied_line = (applied or "").rpartition(":")
        if _ignored_on(d.file, d.line, d.code) or (
            applied and _ignored_on(applied_file, int(applied_line or 0), d.code)
        ):
            continue
        kept.append(d)
    return kept


__all__ = ["PipelineAnalysis", "check_script"]
