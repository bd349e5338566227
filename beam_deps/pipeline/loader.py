"""Run a user's pipeline script as `python SCRIPT.py ARGS` would, without submitting a job.

Why run the script at all instead of parsing it? Because a Beam pipeline is whatever the
script builds: options parsed from argv, transforms applied in loops and helper functions,
DoFns holding whatever objects the script created. Only the constructed pipeline tells us
what Beam will pickle. So we execute the script for real, as ``__main__``, and intercept the
one step that would leave the machine: ``Pipeline.run()``.

While the script runs we also:

* keep construction going past Beam's "Unable to pickle fn" (``pickler.roundtrip`` raising in
  a transform's constructor), so every problem is reported in one run;
* record, for every applied transform, the line of the user's code that applied it;
* fall back to an inert runner object when the requested runner cannot even be imported
  here (e.g. ``--runner=DataflowRunner`` without ``apache-beam[gcp]``): we never run it.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import runpy
import signal
import sys
import threading
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beam_deps.errors import UsageError
from beam_deps.pipeline.locations import is_user_file, traceback_location, user_location


class ScriptError(UsageError):
    """The script could not be loaded: exit code 2 with one line saying why."""


# Set while beam-deps runs a script, so the script can tell it is being checked.
CHECK_FLAG = "BEAM_DEPS_CHECK"


class _ScriptTimeout(BaseException):
    """Raised inside the script by SIGALRM; a BaseException so `except Exception` can't eat it."""


class _AnalysisFailed(BaseException):
    """Our own callback failed inside the script's run(): carry it out past the script."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class ConstructionFailure:
    """A transform that failed while the pipeline was being built.

    ``kind`` is ``"pickle"`` (Beam's construction-time pickling check failed; construction
    went on), ``"apply"`` (applying the transform raised; construction stopped there) or
    ``"script"`` (the script raised outside any transform after building part of a pipeline)
    or ``"input"`` (a file-based source's input pattern matched nothing here; Beam raises
    while the pipeline is built, we record it and build on without the check) or ``"runner"``
    (Beam cannot create the ``--runner``: unknown name or its extra not installed here).
    """

    kind: str
    label: str | None
    file: str | None
    line: int | None
    exception: BaseException
    obj: Any = None

    @property
    def message(self) -> str:
        return f"{type(self.exception).__name__}: {one_line(self.exception)}"


@dataclass
class CapturedPipeline:
    """A pipeline the script constructed; ``ran`` is whether the script called ``run()``."""

    pipeline: Any
    options: Any
    pickle_library: str
    file: str | None = None
    line: int | None = None
    ran: bool = False
    result: Any = None  # whatever the on_pipeline callback returned


@dataclass
class LoadedScript:
    script_path: Path | None
    module: str | None
    pipelines: list[CapturedPipeline] = field(default_factory=list)
    construction_failures: list[ConstructionFailure] = field(default_factory=list)
    modules_imported: set[str] = field(default_factory=set)
    main_globals: dict[str, Any] = field(default_factory=dict)
    script_dir: Path | None = None
    # sys.path entries there when the script ended that were not before it ran
    path_added: list[str] = field(default_factory=list)
    stopped_early: BaseException | None = None  # raised after run(): ignored but kept
    # The script's own file imported again as a module (``import pipeline`` from a helper):
    # {module name: module}. Its classes then exist twice ("foo is not foo").
    imported_as: dict[str, types.ModuleType] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        return str(self.script_path) if self.script_path else f"-m {self.module}"


OnPipeline = Callable[[CapturedPipeline, LoadedScript], Any]


def load_script(
    script: str | os.PathLike | None = None,
    *,
    module: str | None = None,
    argv: Sequence[str] = (),
    timeout: float | None = None,
    on_pipeline: OnPipeline | None = None,
) -> LoadedScript:
    """Run ``script`` (or ``-m module``) as ``__main__`` and capture every pipeline it builds.

    ``on_pipeline(captured, loaded)`` is called once per pipeline, at the moment the script
    calls ``run()`` (or at the end for pipelines never run), while the script's ``__main__``
    is still installed: that is when Beam itself would pickle the pipeline, so analysis done
    there sees exactly the state Beam would. Its return value is stored in
    ``captured.result``. sys.modules['__main__'], sys.path, sys.argv, the working directory
    and Beam's pickle library are restored afterwards; modules the script imported from its
    own folder are dropped from sys.modules (installed ones are kept, so Beam's class
    identities stay intact).
    """
    if (script is None) == (module is None):
        raise ScriptError(
            "give either a script path or -m MODULE; e.g. beam-deps check pipeline.py"
        )
    if script is not None:
        path, code = compile_script(script)
        loaded = LoadedScript(script_path=path, module=None, script_dir=path.parent)
        main_attrs = {"__file__": str(path), "__package__": None, "__spec__": None}
        argv0, path0 = str(path), str(path.parent)
    else:
        saved_path = list(sys.path)
        sys.path.insert(0, os.getcwd())  # `python -m` looks the module up from the cwd
        try:
            mod_name, spec, code = runpy._get_module_details(module, ImportError)  # type: ignore[attr-defined]
        except ImportError as exc:
            raise ScriptError(f"cannot run -m {module}: {exc}; check the module name") from exc
        except SyntaxError as exc:
            raise ScriptError(
                f"{exc.filename}:{exc.lineno}: syntax error in -m {module}: {exc.msg}"
            ) from exc
        finally:
            sys.path[:] = saved_path
        origin = Path(spec.origin) if spec.origin else None
        loaded = LoadedScript(
            script_path=None, module=module, script_dir=origin.parent if origin else None
        )
        main_attrs = {
            "__file__": spec.origin,
            "__package__": spec.parent,
            "__spec__": spec,
            "__loader__": spec.loader,
        }
        argv0, path0 = spec.origin or module, os.getcwd()
    return _execute(loaded, code, main_attrs, argv0, path0, argv, timeout, on_pipeline)


def _imported_as(loaded: LoadedScript) -> dict[str, types.ModuleType]:
    if loaded.script_path is None:
        return {}
    found = {}
    for name in loaded.modules_imported:
        module = sys.modules.get(name)
        filename = getattr(module, "__file__", None)
        if filename and name != "__main__":
            with contextlib.suppress(OSError):
                if Path(filename).resolve() == loaded.script_path:
                    found[name] = module
    return found


def compile_script(script: str | os.PathLike) -> tuple[Path, Any]:
    """(absolute path, code object) of a script; ScriptError if missing or not Python."""
    path = Path(script)
    if not path.is_file():
        raise ScriptError(f"no such script: {script}; check the path")
    path = path.resolve()
    try:
        code = compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        raise ScriptError(
            f"{path}:{line}: syntax error in the script: {getattr(exc, 'msg', exc)}; "
            f"fix it so that `python {script}` runs"
        ) from exc
    return path, code


def _execute(loaded, code, main_attrs, argv0, path0, argv, timeout, on_pipeline) -> LoadedScript:
    main = types.ModuleType("__main__")
    main.__dict__.update(main_attrs)
    main.__dict__["__builtins__"] = builtins
    loaded.main_globals = main.__dict__
    saved = _SavedState.take()
    sys.modules["__main__"] = main
    _point_dill_at(main)
    sys.argv = [argv0, *argv]
    sys.path.insert(0, path0)
    before = set(sys.modules)
    hooks = _Hooks(loaded, on_pipeline)
    try:
        # The script's prints go to stderr (stdout carries our report); it reads an empty
        # stdin, so a script waiting for input fails at once instead of hanging.
        with (
            hooks.installed(),
            _alarm(timeout),
            contextlib.redirect_stdout(sys.stderr),
            _empty_stdin(),
        ):
            try:
                exec(code, main.__dict__)
            except _AnalysisFailed as exc:
                raise exc.error from None
            except _ScriptTimeout as exc:
                raise ScriptError(
                    f"{loaded.display_name} did not finish within {timeout:g}s; "
                    "raise --timeout, or make sure the script does not wait for input or a "
                    "service when it builds the pipeline"
                ) from exc
            except SystemExit as exc:
                if not loaded.pipelines or exc.code not in (None, 0):
                    raise ScriptError(
                        f"{loaded.display_name} called sys.exit({exc.code!r}) "
                        + ("before building a pipeline" if not loaded.pipelines else "")
                        + "; check the pipeline arguments passed after --"
                    ) from exc
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # noqa: BLE001 - the user's script raises anything
                hooks.script_raised(exc)
            try:
                hooks.finish()
            except _AnalysisFailed as exc:
                raise exc.error from None
        if not loaded.pipelines:
            raise ScriptError(
                f"{loaded.display_name} finished without building a Beam pipeline; if it "
                "builds one in a function, make sure running it as a script calls that "
                "function (e.g. under `if __name__ == '__main__':`)"
            )
    finally:
        loaded.modules_imported = set(sys.modules) - before
        loaded.imported_as = _imported_as(loaded)
        saved.restore(loaded)
    return loaded


@contextlib.contextmanager
def _empty_stdin() -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = io.StringIO("")
    try:
        yield
    finally:
        sys.stdin = saved


@contextlib.contextmanager
def _alarm(timeout: float | None) -> Iterator[None]:
    """Interrupt a hanging script after ``timeout`` seconds (main thread only, Unix)."""
    if (
        not timeout
        or threading.current_thread() is not threading.main_thread()
        or not hasattr(signal, "setitimer")
    ):
        yield
        return

    def on_alarm(signum, frame):
        raise _ScriptTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _point_dill_at(main: types.ModuleType) -> None:
    """dill remembers ``__main__`` when first imported and decides by-value vs by-reference
    (and what dump_session saves) against it; make it the script's, as under `python x.py`."""
    dill_impl = sys.modules.get("dill._dill")
    if dill_impl is not None and hasattr(dill_impl, "_main_module"):
        dill_impl._main_module = main


@contextlib.contextmanager
def _timer_paused() -> Iterator[None]:
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


@dataclass
class _SavedState:
    main: Any
    argv: list[str]
    path: list[str]
    cwd: str
    pickler_lib: Any
    dont_write_bytecode: bool
    check_flag: str | None

    @classmethod
    def take(cls) -> _SavedState:
        from apache_beam.internal import pickler

        saved = cls(
            sys.modules.get("__main__"),
            list(sys.argv),
            list(sys.path),
            os.getcwd(),
            pickler.desired_pickle_lib,
            sys.dont_write_bytecode,
            os.environ.get(CHECK_FLAG),
        )
        # Checking must leave the user's tree as it was: no __pycache__ from their imports.
        sys.dont_write_bytecode = True
        # Lets a script skip what needs a job that really ran (reading its output, metrics).
        os.environ[CHECK_FLAG] = "1"
        return saved

    def restore(self, loaded: LoadedScript) -> None:
        from apache_beam.internal import pickler

        if self.main is not None:
            sys.modules["__main__"] = self.main
            _point_dill_at(self.main)
        sys.argv[:] = self.argv
        # Folders on sys.path now that were not before the script ran: its own folder (as
        # python puts it first) and what it added itself (``sys.path.insert(0, "..")``):
        # its local code lives there, and nothing ships it unless it is staged.
        loaded.path_added = [os.path.abspath(p) for p in sys.path if p and p not in self.path]
        sys.path[:] = self.path
        sys.dont_write_bytecode = self.dont_write_bytecode
        if self.check_flag is None:
            os.environ.pop(CHECK_FLAG, None)
        else:
            os.environ[CHECK_FLAG] = self.check_flag
        with contextlib.suppress(OSError):
            os.chdir(self.cwd)
        if pickler.desired_pickle_lib is not self.pickler_lib:
            name = "cloudpickle" if self.pickler_lib is pickler.cloudpickle_pickler else "dill"
            with contextlib.suppress(Exception):
                pickler.set_library(name)
        # Drop the script's own modules (so a second load sees fresh code); keep installed
        # ones: re-importing Beam or its dependencies would duplicate their classes.
        for name in list(loaded.modules_imported):
            mod = sys.modules.get(name)
            filename = getattr(mod, "__file__", None)
            if filename and is_user_file(filename):
                sys.modules.pop(name, None)


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


class _Hooks:
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
            self._analyse(captured)

    def _analyse(self, captured: CapturedPipeline) -> None:
        if self.on_pipeline is None:
            return
        with _timer_paused():  # --timeout is about the script, not about our analysis
            try:
                captured.result = self.on_pipeline(captured, self.loaded)
            except BaseException as exc:  # noqa: BLE001 - re-raised outside the script
                raise _AnalysisFailed(exc) from exc

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
                self._analyse(captured)


def one_line(exc: BaseException) -> str:
    """The message on one line; a header such as Beam's "Pipeline has validations errors:"
    keeps the list that follows it, which is the part the user needs."""
    text = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not text:
        return ""
    if text[0].endswith(":") and len(text) > 1:
        return (text[0] + " " + "; ".join(text[1:]))[:500]
    return text[0][:500]
