"""``check_pipeline``: ``check``'s analysis on a pipeline built in this process.

A notebook, a pytest test or an interactive session has no script to run: the pipeline
already exists and ``__main__`` is the kernel's (or the test runner's). Beam pickles such a
pipeline exactly as it would a script's, so the same steps apply, in the same order as
``check_script``: main session -> payloads -> simulated worker -> skew -> worker model ->
inline ignores -> --select/--ignore. Only the loading differs, so this module builds what the
loader would have captured and hands it to ``check/script.py``'s analysis.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from beam_deps.check import script as _script
from beam_deps.check.detectors.worker_model import worker_model_diagnostics
from beam_deps.check.postprocess import dedupe, filtered
from beam_deps.check.simulated.probe import WorkerProbe
from beam_deps.diagnostics import Report
from beam_deps.environment.workers import model_for_argv
from beam_deps.errors import UsageError
from beam_deps.pipeline import CapturedPipeline, LoadedScript
from beam_deps.pipeline.locations import user_location


def check_pipeline(
    pipeline: Any,
    pickle_library: str | None = None,
    *,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    worker_requirements: str | os.PathLike | None = None,
    worker_python: str | None = None,
    worker_image: str | None = None,
) -> Report:
    """Check a ``beam.Pipeline`` built in this process, as ``beam-deps check`` checks a script.

    Options (runner, pickler, --save_main_session, --requirements_file...) are read from the
    pipeline, as Beam reads them at ``run()``; ``pickle_library`` overrides the pickler.
    Nothing is submitted and the pipeline stays usable: call ``p.run()`` afterwards.
    """
    from apache_beam.options.pipeline_options import SetupOptions
    from apache_beam.pipeline import Pipeline

    from beam_deps.pickling import normalize_library

    if not isinstance(pipeline, Pipeline):
        raise UsageError(
            f"check_pipeline needs an apache_beam Pipeline, got {type(pipeline).__name__}; "
            "use beam_deps.check_object for a DoFn or a function"
        )
    options = pipeline._options
    library = normalize_library(
        pickle_library or options.view_as(SetupOptions).pickle_library or "default"
    )
    flags = _explicit_flags(options)
    image_requirements, worker_pins = _script._worker_requirements(worker_requirements)
    file, line = user_location(sys._getframe(1))
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    loaded = LoadedScript(
        script_path=Path(main_file) if main_file and os.path.isfile(main_file) else None,
        module=None,
        main_globals=dict(vars(main)) if main is not None else {},
        script_dir=Path(main_file).parent if main_file else None,
    )
    captured = CapturedPipeline(pipeline, options, library, file, line, ran=True)
    loaded.pipelines.append(captured)
    model = model_for_argv(
        flags, worker_image=worker_image, worker_requirements=worker_requirements
    )
    probe = WorkerProbe(image_requirements or model.probe_names()).start()
    analysis = None
    try:
        # _at_run reads the pipeline's arguments from sys.argv, as a script's run() would; a
        # kernel's or pytest's own argv are not the pipeline's.
        with _argv(flags):
            analysis = _script._at_run(
                captured, loaded, probe=probe, worker_requirements=worker_requirements, model=model
            )
        captured.result = analysis
        diagnostics = _script.detect(
            _script.AnalysedScript(loaded, [analysis], worker_python, worker_image, worker_pins)
        )
    finally:
        probe.close()
        if analysis is not None and analysis.session_file:
            with contextlib.suppress(OSError):
                os.unlink(analysis.session_file)
    return _report(diagnostics, analysis, model, select, ignore)


def _report(diagnostics, analysis, model, select, ignore) -> Report:
    """The tail of ``check_script``, for one pipeline: deduplicated, worker model, filtered."""
    report = Report(dedupe(diagnostics))
    payloads = analysis.serialized.payloads
    report.by_reference = sorted({r for p in payloads for r in p.report.by_reference})
    report.by_value = sorted({r for p in payloads for r in p.report.by_value})
    report.diagnostics = worker_model_diagnostics(model, report.diagnostics, report.by_reference)
    report.worker = model.as_dict()
    sizes = [p.report.payload_size or 0 for p in payloads]
    report.payload_size = sum(sizes) if sizes else None
    return filtered(report, select, ignore)


def _explicit_flags(options: Any) -> list[str]:
    """The flags the options were made from; none when they would come from this process's
    own argv (``PipelineOptions()`` in a kernel or under pytest), which is not a pipeline's."""
    flags = getattr(options, "_flags", None)
    return [str(f) for f in flags] if flags is not None else []


@contextlib.contextmanager
def _argv(flags: list[str]) -> Iterator[None]:
    saved = sys.argv
    sys.argv = [saved[0] if saved else "pipeline", *flags]
    try:
        yield
    finally:
        sys.argv = saved


__all__ = ["check_pipeline"]
