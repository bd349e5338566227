"""The patches that make a script build, but never run, its pipelines.

``Hooks.installed()`` replaces ``Pipeline.__init__/run/apply``, ``AppliedPTransform.__init__``,
Beam's construction-time pickling check, ``create_runner``, ``FileBasedSource._validate``
and ``PipelineOptions.__subclasses__`` (the options classes of the script's own process only)
for as long as the script runs, recording each pipeline, the user's line of every applied
transform and each failure Beam would raise while building or submitting, so construction
goes on.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

from beam_deps.pipeline.captured import (
    AnalysisFailed,
    CapturedPipeline,
    ConstructionFailure,
    LoadedScript,
    OnPipeline,
    ScriptError,
    one_line,
)
from beam_deps.pipeline.locations import traceback_location, user_location


@contextlib.contextmanager
def timer_paused() -> Iterator[None]:
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    remaining, _ = signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        yield
    finally:
        if remaining > 0:
            signal.setitimer(signal.ITIMER_REAL, remaining)


class _CapturedResult:
    """What the intercepted ``run()`` returns: a finished job that processed nothing."""

    def __init__(self) -> None:
        from apache_beam.runners.runner import PipelineState

        self._state = PipelineState.DONE

    @property
    def state(self):
        return self._state

    def wait_until_finish(self, duration=None):
        return self._state

    def cancel(self):
        return self._state

    def metrics(self):
        return _EmptyMetrics()


class _EmptyMetrics:
    def query(self, filter=None):  # noqa: A002 - Beam's signature
        return {
            "counters": [],
            "distributions": [],
            "gauges": [],
            "string_sets": [],
            "bounded_tries": [],
        }


class Hooks:
    """The patches that make a script build, but never run, its pipelines."""

    def __init__(self, loaded: LoadedScript, on_pipeline: OnPipeline | None) -> None:
        self.loaded = loaded
        self.on_pipeline = on_pipeline
        self.by_pipeline: dict[int, CapturedPipeline] = {}
        self.apply_depth = 0
        self.apply_location: tuple[str | None, int | None] = (None, None)
        self.user_label: str | None = None
        self.pending: list[ConstructionFailure] = []
        self.apply_errors: set[int] = set()

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        import apache_beam.pipeline as beam_pipeline
        from apache_beam.internal import pickler
        from apache_beam.io.filebasedsource import FileBasedSource
        from apache_beam.options.pipeline_options import PipelineOptions

        from beam_deps.beam import construction_pickling

        Pipeline = beam_pipeline.Pipeline
        Applied = beam_pipeline.AppliedPTransform
        originals = {
            "init": Pipeline.__init__,
            "run": Pipeline.run,
            "apply": Pipeline.apply,
            "applied_init": Applied.__init__,
            "roundtrip": getattr(pickler, "roundtrip", None),  # Beam 2.70+ (beam_deps.beam)
            "create_runner": beam_pipeline.create_runner,
            "validate": FileBasedSource._validate,
        }
        hooks = self

        def init(p, *args, **kwargs):
            originals["init"](p, *args, **kwargs)
            hooks.pipeline_created(p)

        def run(p, test_runner_api="AUTO"):
            hooks.pipeline_run(p)
            return _CapturedResult()

        def apply(p, transform, pvalueish=None, label=None):
            return hooks.apply(originals["apply"], p, transform, pvalueish, label)

        def applied_init(node, *args, **kwargs):
            originals["applied_init"](node, *args, **kwargs)
            node._beam_deps_location = hooks.apply_location
            if hooks.apply_depth and hooks.user_label is None:
                hooks.user_label = node.full_label  # the transform the user applied
            node._beam_deps_user_label = hooks.user_label

        def roundtrip(o):
            try:
                return originals["roundtrip"](o)
            except Exception as exc:  # noqa: BLE001 - record, keep building
                hooks.pickle_failed(o, exc)
                return o

        def validate(source):
            try:
                return originals["validate"](source)
            except Exception as exc:  # noqa: BLE001 - record, keep building
                hooks.input_failed(source, exc)

        def create_runner(name):
            try:
                return originals["create_runner"](name)
            except (ImportError, ValueError, RuntimeError) as exc:
                # We never run the pipeline: an inert runner is enough to construct it; but
                # the submission would fail here, so it is recorded.
                from apache_beam.runners.direct.direct_runner import BundleBasedDirectRunner

                hooks.runner_failed(name, exc)
                return BundleBasedDirectRunner()

        Pipeline.__init__ = init
        Pipeline.run = run
        Pipeline.apply = apply
        Applied.__init__ = applied_init
        older = construction_pickling(hooks.pickle_failed)  # Beam < 2.70: no roundtrip
        if originals["roundtrip"] is not None:
            pickler.roundtrip = roundtrip
        else:
            older.__enter__()
        beam_pipeline.create_runner = create_runner
        FileBasedSource._validate = validate
        subclasses = PipelineOptions.__dict__.get("__subclasses__")  # set when nested
        PipelineOptions.__subclasses__ = staticmethod(_live_options_classes)
        try:
            yield
        finally:
            Pipeline.__init__ = originals["init"]
            Pipeline.run = originals["run"]
            Pipeline.apply = originals["apply"]
            Applied.__init__ = originals["applied_init"]
            if originals["roundtrip"] is not None:
                pickler.roundtrip = originals["roundtrip"]
            else:
                older.__exit__(None, None, None)
            beam_pipeline.create_runner = originals["create_runner"]
            FileBasedSource._validate = originals["validate"]
            if subclasses is None:
                del PipelineOptions.__subclasses__
            else:
                PipelineOptions.__subclasses__ = subclasses

    # -- events -------------------------------------------------------------------------
    def pipeline_created(self, p) -> None:
        from apache_beam.options.pipeline_options import SetupOptions

        from beam_deps.pickling import normalize_library

        file, line = user_location(sys._getframe(2))
        if getattr(p._options, "_flags", ()) is None:
            # PipelineOptions() parses sys.argv lazily, on every read; pin it to the script's
            # argv now, before we restore ours, so options read later are the script's.
            p._options._flags = list(sys.argv[1:])
        library = normalize_library(p._options.view_as(SetupOptions).pickle_library)
        captured = CapturedPipeline(p, p._options, library, file, line)
        self.by_pipeline[id(p)] = captured
        self.loaded.pipelines.append(captured)

    def pipeline_run(self, p) -> None:
        captured = self.by_pipeline.get(id(p))
        if captured is None:  # built before our hooks (cannot happen for a script we run)
            return
        if not captured.ran:
            captured.ran = True
            try:
                self._analyse(captured)
            finally:
                _remove_local_tempdir(p)

    def _options_rejected(self, captured: CapturedPipeline) -> bool:
        """Beam reads every PipelineOptions subclass together when the pipeline is submitted
        (``run()`` on Beam 2.62+, each runner on older Beams) and again on each worker: a
        subclass that adds an option another one defines (``--project``) makes argparse
        raise there. Record it as the submission's failure; nothing is analysed past it, as
        nothing would be submitted."""
        try:
            captured.options.get_all_options(retain_unknown_options=True)
        except Exception as exc:  # noqa: BLE001 - what the user's run() would raise
            file, line = traceback_location(exc.__traceback__)
            failure = ConstructionFailure("options", None, file, line, exc)
            self.loaded.construction_failures.append(failure)
            return True
        return False

    def _analyse(self, captured: CapturedPipeline) -> None:
        if self.on_pipeline is None or self._options_rejected(captured):
            return
        with timer_paused():  # --timeout is about the script, not about our analysis
            try:
                captured.result = self.on_pipeline(captured, self.loaded)
            except BaseException as exc:  # noqa: BLE001 - re-raised outside the script
                raise AnalysisFailed(exc) from exc

    def apply(self, original, p, transform, pvalueish, label):
        outermost = self.apply_depth == 0
        if outermost:
            self.apply_location = user_location(sys._getframe(2))
            self.user_label = None
        self.apply_depth += 1
        try:
            result = original(p, transform, pvalueish, label)
        except Exception as exc:
            if outermost and id(exc) not in self.apply_errors:
                self.apply_errors.add(id(exc))
                name = label or getattr(transform, "label", type(transform).__name__)
                file, line = self.apply_location
                self.loaded.construction_failures.append(
                    ConstructionFailure("apply", name, file, line, exc, transform)
                )
            raise
        finally:
            self.apply_depth -= 1
        if outermost and self.pending:
            parts = p._root_transform().parts
            full_label = parts[-1].full_label if parts else label
            for failure in self.pending:
                failure.label = failure.label or full_label
            self.pending.clear()
        return result

    def pickle_failed(self, obj, exc: Exception) -> None:
        self._record_and_go_on("pickle", obj, exc)

    def runner_failed(self, name: str, exc: Exception) -> None:
        file, line = user_location(sys._getframe(2))
        failure = ConstructionFailure("runner", None, file, line, exc, name)
        self.loaded.construction_failures.append(failure)

    def input_failed(self, source, exc: Exception) -> None:
        self._record_and_go_on("input", source, exc)

    def _record_and_go_on(self, kind: str, obj: Any, exc: Exception) -> None:
        """A failure Beam raises while building that we absorb so construction goes on; its
        label is the transform being applied, or the next one applied (``ReadFromText``
        builds its source before it is applied)."""
        file, line = user_location(sys._getframe(3))
        label = None
        if self.apply_depth:
            file, line = self.apply_location
            label = self._current_label()
        failure = ConstructionFailure(kind, label, file, line, exc, obj)
        self.loaded.construction_failures.append(failure)
        if label is None:
            self.pending.append(failure)

    def _current_label(self) -> str | None:
        for captured in reversed(self.loaded.pipelines):
            stack = getattr(captured.pipeline, "transforms_stack", None)
            if stack and len(stack) > 1:
                return stack[-1].full_label
        return None

    def script_raised(self, exc: BaseException) -> None:
        if any(c.ran for c in self.loaded.pipelines):
            self.loaded.stopped_early = exc  # after run(): the job would already be submitted
            return
        if id(exc) in self.apply_errors:
            return  # already recorded as the failing transform
        file, line = traceback_location(exc.__traceback__)
        if not self.loaded.pipelines:
            where = f" at {file}:{line}" if file else ""
            raise ScriptError(
                f"{self.loaded.display_name} raised {type(exc).__name__}: {one_line(exc)}"
                f"{where} before building a pipeline; run it with python to see the traceback"
            ) from exc
        self.loaded.construction_failures.append(
            ConstructionFailure("script", None, file, line, exc)
        )

    def finish(self) -> None:
        """Analyse the pipelines the script built but never ran (as Beam would at run())."""
        for captured in self.loaded.pipelines:
            if not captured.ran:
                captured.ran = True
                try:
                    self._analyse(captured)
                finally:
                    _remove_local_tempdir(captured.pipeline)


def _live_options_classes() -> list[type]:
    """``PipelineOptions.__subclasses__()`` as the script's own process sees it. Beam reads
    every options class there (``get_all_options``); a script checked before in this process
    (a test suite, a notebook) leaves its classes alive, and one that adds the same option
    as the script's (``--output``) would make argparse refuse both, here only."""
    from apache_beam.options.pipeline_options import PipelineOptions

    main = vars(sys.modules["__main__"])
    live = []
    for cls in type.__subclasses__(PipelineOptions):
        adds = getattr(cls.__dict__.get("_add_argparse_args"), "__func__", None)
        home = getattr(adds, "__globals__", main)
        if home.get("__name__") != "__main__" or home is main:
            live.append(cls)
    return live


def _remove_local_tempdir(p: Any) -> None:
    """``Pipeline.__init__`` makes an empty ``beam-pipeline-temp*`` folder that Beam's own
    ``run()`` removes when it ends; we replace ``run()``, so we remove it."""
    folder = getattr(p, "local_tempdir", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
