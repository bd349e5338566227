"""What Beam raised while the script built its pipelines, and what the script raised after.

The loader keeps construction going past these failures (``pipeline.captured``'s
``ConstructionFailure``) so every problem is reported in one run; this detector says each
one: a function Beam could not pickle at construction (BD101), a runner that cannot be
created here, options Beam cannot parse when it submits them (an option two options classes
define), an input pattern that cannot be read, a transform or the script raising
(BD002; BD005 for a runner whose extra is not installed here), and a script that raised
after ``run()`` (BD004, what followed went unchecked).
"""

from __future__ import annotations

from beam_deps.catalogue import diagnostic
from beam_deps.check.postprocess import UNLESS_EXPLAINED
from beam_deps.diagnostics import Diagnostic
from beam_deps.pipeline.captured import LoadedScript, one_line
from beam_deps.pipeline.locations import traceback_location


def stopped_after_run(loaded: LoadedScript) -> list[Diagnostic]:
    """The script raised after a pipeline's run(): usually because it reads the job's output
    or metrics, which do not exist since check runs nothing. Not the user's bug, but what
    the script would have built afterwards went unchecked, and that must be said."""
    exc = loaded.stopped_early
    if exc is None:
        return []
    file, line = traceback_location(exc.__traceback__)
    text = one_line(exc)
    return [
        diagnostic(
            "BD004",
            f"the script raised {type(exc).__name__}{': ' + text if text else ''} after "
            "a pipeline's run() returned (beam-deps runs nothing, so code reading a job's output "
            "or metrics fails here); anything the script would build after this line was not "
            "checked",
            file=file,
            line=line,
            fix="Guard the code that reads results (e.g. `if not "
            "os.environ.get('BEAM_DEPS_CHECK'):`), or check each pipeline from its own script or "
            "function.",
        )
    ]


def construction_failures(loaded: LoadedScript) -> list[Diagnostic]:
    """What Beam raised while the script built its pipelines (recorded by the loader, which
    let construction go on)."""
    out = []
    for failure in loaded.construction_failures:
        if failure.kind == "pickle":
            # said only when no BD1xx error on the transform explains it (post-processing)
            out.append(
                diagnostic(
                    "BD101",
                    f"Beam could not pickle this transform's function: {failure.message}",
                    transform=failure.label,
                    file=failure.file,
                    line=failure.line,
                    **{UNLESS_EXPLAINED: True},
                )
            )
        elif failure.kind == "runner":
            missing_extra = isinstance(failure.exception, ImportError)
            out.append(
                diagnostic(
                    "BD005" if missing_extra else "BD002",
                    f"Beam cannot create the runner {failure.obj!r} here: {failure.message}; "
                    + (
                        "submitting from a machine without it would fail (beam-deps checked "
                        "the pipeline without the runner)"
                        if missing_extra
                        else "the submission would fail right there"
                    ),
                    file=failure.file,
                    line=failure.line,
                    fix="Install the runner's extra where you submit (e.g. "
                    "`apache-beam[gcp]` for DataflowRunner)"
                    if missing_extra
                    else "Fix --runner: a Beam runner name (DirectRunner, DataflowRunner, "
                    "FlinkRunner, PortableRunner...) or the full path of a PipelineRunner class.",
                )
            )
        elif failure.kind == "options":
            out.append(
                diagnostic(
                    "BD002",
                    f"Beam cannot read this pipeline's options: {failure.message[:300]}. "
                    "Beam parses every PipelineOptions subclass together when the pipeline is "
                    "submitted (and again on each worker), so the submission fails right "
                    "there; beam-deps checked nothing past it",
                    file=failure.file,
                    line=failure.line,
                    fix="Do not add an option Beam (or another options class) already "
                    "defines: read Beam's own (`options.view_as(GoogleCloudOptions).project`) "
                    "or give yours another name (`--output_topic`).",
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
