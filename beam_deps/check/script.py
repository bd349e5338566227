"""`beam-deps check` as a Python API: everything that will break on the workers, at once.

The data flows one way: start the simulated worker (it imports Beam while we work) ->
run the script with ``run()`` intercepted -> at ``run()``, serialise the pipeline exactly
as Beam does, analysing each payload once -> pipeline-level checks (main session, element
classes) -> send every payload to the simulated worker -> when the script has ended, run
``DETECTORS`` (each takes the ``AnalysedScript`` and decides its own codes and messages) ->
``postprocess``: place, merge, dedupe, inline ignores, --select/--ignore (structured fields
only). To add a detector: a module under ``check/detectors/`` and one line in ``DETECTORS``
(or in ``_at_run`` when it must see the script's live ``__main__``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import launch_settings
from beam_deps.check.detectors.accumulators import (
    combine_callable_diagnostics,
    combine_method_diagnostics,
    shared_accumulator_diagnostics,
)
from beam_deps.check.detectors.arguments import ignored_arguments
from beam_deps.check.detectors.avro_inputs import avro_row_diagnostics
from beam_deps.check.detectors.bundles import finish_bundle_diagnostics
from beam_deps.check.detectors.call_arity import call_arity_diagnostics
from beam_deps.check.detectors.construction import construction_failures, stopped_after_run
from beam_deps.check.detectors.declared import declared_conflicts
from beam_deps.check.detectors.declared_types import declared_type_diagnostics
from beam_deps.check.detectors.dropped_state import dropped_state_diagnostics
from beam_deps.check.detectors.element_coders import (
    accumulator_function_diagnostics,
    function_element_diagnostics,
)
from beam_deps.check.detectors.grouping_keys import grouping_key_diagnostics
from beam_deps.check.detectors.identity import double_import_diagnostics, element_class_diagnostics
from beam_deps.check.detectors.inherited_reducers import inherited_reducer_diagnostics
from beam_deps.check.detectors.known_elements import known_element_diagnostics
from beam_deps.check.detectors.late_binding import late_binding_findings
from beam_deps.check.detectors.launch_state import launch_state_diagnostics
from beam_deps.check.detectors.lifecycle_names import lifecycle_name_diagnostics
from beam_deps.check.detectors.local_files import local_file_diagnostics, source_file_diagnostics
from beam_deps.check.detectors.main_session import (
    main_class_members,
    main_session_diagnostics,
    save_main_session,
    session_notes,
)
from beam_deps.check.detectors.none_elements import none_element_diagnostics
from beam_deps.check.detectors.output_tags import output_tag_diagnostics
from beam_deps.check.detectors.rebuilt_classes import rebuilt_class_diagnostics
from beam_deps.check.detectors.requirements_file import requirements_file_diagnostics
from beam_deps.check.detectors.schema_fields import schema_field_diagnostics
from beam_deps.check.detectors.secret_urls import secret_urls
from beam_deps.check.detectors.setup_file import setup_file_diagnostics
from beam_deps.check.detectors.side_inputs import (
    cogroup_input_diagnostics,
    foreign_side_input_diagnostics,
    side_input_view_diagnostics,
)
from beam_deps.check.detectors.staged import (
    requirement_names,
    requirement_pins,
    staged_from_options,
)
from beam_deps.check.detectors.state_coders import state_coder_diagnostics
from beam_deps.check.detectors.step_outputs import step_output_diagnostics
from beam_deps.check.detectors.thread_metrics import thread_metric_diagnostics
from beam_deps.check.detectors.timestamps import naive_timestamp_diagnostics
from beam_deps.check.detectors.unencodable import unencodable_value_diagnostics
from beam_deps.check.detectors.ungrouping import ungrouping_diagnostics
from beam_deps.check.detectors.windows import (
    flatten_window_diagnostics,
    single_timestamp_window_diagnostics,
)
from beam_deps.check.detectors.worker_code import classes_on_workers, payload_code
from beam_deps.check.detectors.worker_findings import findings_to_diagnostics, read_after_run
from beam_deps.check.detectors.worker_model import worker_model_diagnostics
from beam_deps.check.postprocess import (
    dedupe,
    filtered,
    merged,
    placed,
    placed_in,
    sources_of,
)
from beam_deps.check.simulated.probe import (
    ProbeBatch,
    ProbeError,
    ProbeInput,
    Staged,
    WorkerProbe,
)
from beam_deps.diagnostics import Diagnostic, Report
from beam_deps.environment.skew import image_from_options, version_skew_diagnostics
from beam_deps.environment.workers import WorkerModel, model_for_argv
from beam_deps.errors import UsageError
from beam_deps.pickling.bytecode import imports
from beam_deps.pickling.walk import user_functions
from beam_deps.pipeline import CapturedPipeline, LoadedScript, load_script
from beam_deps.pipeline.loader import compile_script
from beam_deps.pipeline.payloads import Payload, Serialized, collect_payloads
from beam_deps.staging.requires import collecting

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
    # Process-wide settings as a worker starts with them, read before the script runs, and
    # the generators it seeds (BD207); all put back after it (it runs in this process).
    launch = launch_settings.watch()
    analyses: list[PipelineAnalysis] = []
    try:
        with collecting() as declarations:  # @requires / requires_base, as stage reads them
            loaded = load_script(
                script,
                module=module,
                argv=argv,
                timeout=timeout,
                on_pipeline=functools.partial(
                    _at_run,
                    probe=probe,
                    worker_requirements=worker_requirements,
                    model=model,
                    launch=launch,
                ),
            )
        analyses = [c.result for c in loaded.pipelines if isinstance(c.result, PipelineAnalysis)]
        diagnostics = detect(
            AnalysedScript(
                loaded,
                analyses,
                worker_python,
                worker_image,
                worker_pins,
                argv=list(argv),
                declarations=list(declarations),
            )
        )
    finally:
        probe.close()
        launch.restore()
        for analysis in analyses:
            if analysis.session_file:
                with contextlib.suppress(OSError):
                    os.unlink(analysis.session_file)
    report = Report(dedupe(diagnostics))
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
    return filtered(report, select, ignore, sources_of(loaded))


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
    launch: launch_settings.Launch | None = None,
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
    diagnostics += setup_file_diagnostics(options)
    # sys.argv is the script's here (the loader set it), as Beam would parse it
    diagnostics += ignored_arguments(options, sys.argv[1:], captured.file, captured.line)
    batch = probe.begin(
        library=library,
        staged=staged,
        main_session=session,
        main_names=[n for n in loaded.main_globals if not n.startswith("__")],
        main_classes=main_class_members(loaded.main_globals),
    )
    serialized = collect_payloads(
        captured.pipeline, library, on_payload=lambda p: batch.send(_probe_input(p))
    )
    batch.close_input()
    diagnostics += element_class_diagnostics(captured.pipeline, library, saving)
    # in run(): the coders the script registers (register_coder) are in Beam's registry now
    diagnostics += function_element_diagnostics(captured.pipeline, library, saving)
    diagnostics += accumulator_function_diagnostics(captured.pipeline, library, saving)
    diagnostics += declared_type_diagnostics(captured.pipeline)
    diagnostics += none_element_diagnostics(captured.pipeline)
    diagnostics += step_output_diagnostics(captured.pipeline)
    diagnostics += output_tag_diagnostics(captured.pipeline)
    diagnostics += ungrouping_diagnostics(captured.pipeline)
    diagnostics += unencodable_value_diagnostics(captured.pipeline)
    diagnostics += side_input_view_diagnostics(captured.pipeline)
    diagnostics += foreign_side_input_diagnostics(captured.pipeline)
    diagnostics += cogroup_input_diagnostics(captured.pipeline)
    diagnostics += naive_timestamp_diagnostics(captured.pipeline)
    diagnostics += shared_accumulator_diagnostics(captured.pipeline)
    diagnostics += combine_method_diagnostics(captured.pipeline)
    diagnostics += combine_callable_diagnostics(captured.pipeline)
    diagnostics += finish_bundle_diagnostics(captured.pipeline)
    diagnostics += thread_metric_diagnostics(captured.pipeline)
    diagnostics += state_coder_diagnostics(captured.pipeline)
    diagnostics += call_arity_diagnostics(captured.pipeline)
    diagnostics += lifecycle_name_diagnostics(captured.pipeline)
    diagnostics += flatten_window_diagnostics(captured.pipeline)
    diagnostics += single_timestamp_window_diagnostics(captured.pipeline)
    diagnostics += schema_field_diagnostics(captured.pipeline)
    diagnostics += grouping_key_diagnostics(captured.pipeline)
    session_in_main = saving and library.startswith("dill")
    diagnostics += known_element_diagnostics(captured.pipeline, session_in_main)
    diagnostics += avro_row_diagnostics(captured.pipeline)
    # in run(): the script's working folder, and its modules as they are once it is built
    code = payload_code(serialized.payloads)  # what each payload runs on a worker, found once
    diagnostics += rebuilt_class_diagnostics(code, library)
    diagnostics += dropped_state_diagnostics(code)
    diagnostics += inherited_reducer_diagnostics(code, library)
    diagnostics += local_file_diagnostics(code, options)
    diagnostics += source_file_diagnostics(captured.pipeline, options)
    diagnostics += launch_state_diagnostics(code, loaded.script_path)
    if launch is not None:
        diagnostics += launch_settings.launch_setting_diagnostics(code, launch)
    return PipelineAnalysis(captured, serialized, diagnostics, staged, saving, session, batch)


def _probe_input(payload: Payload) -> ProbeInput:
    from beam_deps.pickling import required_modules

    if payload.data:
        return ProbeInput(
            payload.index, payload.data, payload.use_zlib, required_modules(payload.references)
        )
    return ProbeInput(payload.index, b"", imports=_function_imports(payload.obj))


@dataclass
class AnalysedScript:
    """Everything the detectors below read: the loaded script, each pipeline analysed at its
    ``run()``, and the worker the user described."""

    loaded: LoadedScript
    analyses: list[PipelineAnalysis]
    worker_python: str | None = None
    worker_image: str | None = None
    worker_pins: dict[str, str] | None = None
    argv: list[str] = field(default_factory=list)  # the pipeline's arguments
    declarations: list[Any] = field(default_factory=list)  # @requires / requires_base

    @property
    def search_path(self) -> list[str]:
        """Where the script's own modules are found (the simulated worker's classification)."""
        loaded = self.loaded
        out = [str(loaded.script_dir)] if loaded.script_dir else []
        return out + [p for p in loaded.path_added if p not in out]


def _at_run_findings(script: AnalysedScript) -> list[Diagnostic]:
    """What the detectors run inside run() found (main session, staging, arguments...)."""
    return [
        placed(d, None, (a.captured.file, a.captured.line))
        for a in script.analyses
        for d in a.diagnostics
    ]


def _serialization_findings(script: AnalysedScript) -> list[Diagnostic]:
    """What serialising the pipeline (and inspecting each payload) found."""
    # A pipeline left half-built by a failing transform often cannot be translated either;
    # that second BD002 only repeats the first.
    half_built = any(f.kind in ("apply", "script") for f in script.loaded.construction_failures)
    out: list[Diagnostic] = []
    for analysis in script.analyses:
        out.extend(
            d for d in analysis.serialized.diagnostics if not (half_built and d.code == "BD002")
        )
        for payload in analysis.serialized.payloads:
            if payload.duplicate_of is None:
                out.extend(placed_in(d, payload) for d in payload.report.diagnostics)
    return out


def _simulated_worker_findings(script: AnalysedScript) -> list[Diagnostic]:
    """What the simulated worker saw, classified by ``detectors.worker_findings``."""
    out: list[Diagnostic] = []
    for analysis in script.analyses:
        out.extend(_probe(analysis, script.search_path, script.declarations))
    return out


def _double_imports(script: AnalysedScript) -> list[Diagnostic]:
    loaded = script.loaded
    if not loaded.imported_as:
        return []
    used = {
        name
        for analysis in script.analyses
        for payload in analysis.serialized.payloads
        for name in (*payload.report.by_value, *payload.report.by_reference)
    }
    return double_import_diagnostics(
        loaded.main_globals, loaded.imported_as, used, loaded.script_path
    )


def _skew(script: AnalysedScript) -> list[Diagnostic]:
    """Differences between this machine and the worker (Python, Beam, pickler versions)."""
    from beam_deps.pickling import dill_version

    out: list[Diagnostic] = []
    seen: set[tuple[str, str | None]] = set()
    for analysis in script.analyses:
        library = analysis.captured.pickle_library
        image = script.worker_image or image_from_options(analysis.captured.options)
        if (library, image) in seen:
            continue
        seen.add((library, image))
        for d in version_skew_diagnostics(
            library=library,
            worker_python=script.worker_python,
            worker_image=image,
            worker_pins=script.worker_pins,
            local_dill=dill_version(),
        ):
            out.append(placed(d, None, (analysis.captured.file, analysis.captured.line)))
    return out


# The detectors that run after the script ended, in report order. Each takes the analysed
# script and returns its diagnostics; it alone decides their codes and messages.
DETECTORS: tuple[Callable[[AnalysedScript], list[Diagnostic]], ...] = (
    _at_run_findings,
    _serialization_findings,
    _simulated_worker_findings,
    lambda script: construction_failures(script.loaded),
    lambda script: declared_conflicts(
        script.declarations, [a.captured.pipeline for a in script.analyses], script.argv
    ),
    lambda script: stopped_after_run(script.loaded),
    _double_imports,
    _skew,
    lambda script: late_binding_findings(script.analyses),
    lambda script: secret_urls(script.analyses),
)


def detect(script: AnalysedScript) -> list[Diagnostic]:
    """Every detector's diagnostics, merged (``postprocess.merged``), not yet deduplicated."""
    return merged(session_notes([d for detector in DETECTORS for d in detector(script)]))


def _probe(
    analysis: PipelineAnalysis, search_path: list[str], declarations: Sequence[Any] = ()
) -> list[Diagnostic]:
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
        return [placed(failed, None, where)]
    read_back = read_after_run(*where)
    out = findings_to_diagnostics(
        session,
        subject="__main__",
        library=library,
        search_path=search_path,
        declarations=declarations,
    )
    out = [placed(d, None, where) for d in out]
    by_id = {p.index: p for p in analysis.serialized.payloads}
    # BD312 only: a walk of every payload, for the rare run where a member was lost
    lost = any(f.get("kind") == "lost" for fs in results.values() for f in fs)
    reached = classes_on_workers(analysis.serialized.payloads) if lost else None
    for pid, findings in sorted(results.items()):
        payload = by_id[pid]
        if payload.duplicate_of is not None:
            continue
        for d in findings_to_diagnostics(
            findings,
            subject=payload.name,
            library=library,
            search_path=search_path,
            declarations=declarations,
            read_back=read_back,
            classes_on_workers=reached,
        ):
            out.append(placed_in(d, payload))
    return out


def _function_imports(obj: Any) -> list[dict[str, Any]]:
    """Imports inside the user functions of an object that could not be pickled."""
    out = []
    for fn in user_functions(obj):
        code = fn.__code__
        for module, line in imports(code):
            out.append(
                {
                    "module": module,
                    "line": line,
                    "function": fn.__qualname__,
                    "file": code.co_filename,
                }
            )
    return out


__all__ = ["DETECTORS", "AnalysedScript", "PipelineAnalysis", "check_script", "detect"]
