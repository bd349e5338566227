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
import time
import tokenize
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beam_deps import exported_notebook
from beam_deps.pipeline.attribution import imports_by_beam
from beam_deps.pipeline.captured import (
    AnalysisFailed,
    CapturedPipeline,
    ConstructionFailure,
    LoadedScript,
    OnPipeline,
    ScriptError,
    one_line,
)
from beam_deps.pipeline.hooks import Hooks
from beam_deps.pipeline.locations import is_user_file

# Set while beam-deps runs a script, so the script can tell it is being checked.
CHECK_FLAG = "BEAM_DEPS_CHECK"


class ScriptTimeout(BaseException):
    """Raised inside the script by SIGALRM; a BaseException so `except Exception` can't eat it."""


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
        source = path.read_bytes()
        _decodable(source, path)
        code = compile(source, str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        raise ScriptError(
            f"{path}:{line}: syntax error in the script: {getattr(exc, 'msg', exc)}; "
            f"fix it so that `python {script}` runs"
        ) from exc
    return path, code


def _decodable(source: bytes, path: Path) -> None:
    """Refuse what ``python SCRIPT.py`` refuses: ``compile()`` of bytes lets undecodable
    bytes through in comments, Python's file reader does not (PEP 263)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    try:
        source.decode(encoding)
    except UnicodeDecodeError as exc:
        line = source[: exc.start].count(b"\n") + 1
        bad = source[exc.start : exc.start + 1]
        declared = encoding != "utf-8" or source.startswith(b"\xef\xbb\xbf")
        raise SyntaxError(
            f"Non-{encoding.upper()} code starting with {bad!r:.7}, but "
            + ("it is not valid in the declared encoding" if declared else "no encoding declared")
            + " (see PEP 263: add a `# -*- coding: ... -*-` line or save the file as UTF-8)",
            (str(path), line, 0, ""),
        ) from exc


def _execute(loaded, code, main_attrs, argv0, path0, argv, timeout, on_pipeline) -> LoadedScript:
    main = types.ModuleType("__main__")
    main.__dict__.update(main_attrs)
    main.__dict__["__builtins__"] = builtins
    exported_notebook.install(main.__dict__, getattr(code, "co_names", ()))
    loaded.main_globals = main.__dict__
    saved = _SavedState.take()
    sys.modules["__main__"] = main
    _point_dill_at(main)
    sys.argv = [argv0, *argv]
    sys.path.insert(0, path0)
    before = set(sys.modules)
    by_beam: set[str] = set()
    hooks = Hooks(loaded, on_pipeline)
    try:
        # The script's prints go to stderr (stdout carries our report); it reads an empty
        # stdin, so a script waiting for input fails at once instead of hanging.
        with (
            imports_by_beam() as by_beam,
            hooks.installed(),
            time_limit(timeout),
            contextlib.redirect_stdout(sys.stderr),
            _empty_stdin(),
        ):
            try:
                exec(code, main.__dict__)
            except AnalysisFailed as exc:
                raise exc.error from None
            except ScriptTimeout as exc:
                raise ScriptError(
                    f"{loaded.display_name} did not finish within {timeout:g}s; "
                    "raise --timeout, or make sure the script does not wait for input or a "
                    "service when it builds the pipeline"
                ) from exc
            except SystemExit as exc:
                if exc.code not in (None, 0) and any(c.ran for c in loaded.pipelines):
                    # after run(): the script's check of the job's output (BD004), not its
                    # arguments
                    hooks.script_raised(exc)
                elif not loaded.pipelines or exc.code not in (None, 0):
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
            except AnalysisFailed as exc:
                raise exc.error from None
        if not loaded.pipelines:
            raise ScriptError(
                f"{loaded.display_name} finished without building a Beam pipeline; if it "
                "builds one in a function, make sure running it as a script calls that "
                "function (e.g. under `if __name__ == '__main__':`)"
            )
    finally:
        # what Beam imported for itself while building (IPython, optional backends) is not
        # the pipeline's need (see attribution.py)
        loaded.modules_imported = set(sys.modules) - before - by_beam
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
def time_limit(timeout: float | None) -> Iterator[None]:
    """Interrupt a hanging script after ``timeout`` seconds (main thread only, Unix): raises
    ScriptTimeout inside it. Whatever timer ran before is resumed afterwards."""
    if (
        not timeout
        or threading.current_thread() is not threading.main_thread()
        or not hasattr(signal, "setitimer")
    ):
        yield
        return

    def on_alarm(signum, frame):
        raise ScriptTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, timeout)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer > 0:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 0.01))


def _point_dill_at(main: types.ModuleType) -> None:
    """dill remembers ``__main__`` when first imported and decides by-value vs by-reference
    (and what dump_session saves) against it; make it the script's, as under `python x.py`."""
    dill_impl = sys.modules.get("dill._dill")
    if dill_impl is not None and hasattr(dill_impl, "_main_module"):
        dill_impl._main_module = main


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


__all__ = [
    "CHECK_FLAG",
    "CapturedPipeline",
    "ConstructionFailure",
    "LoadedScript",
    "OnPipeline",
    "ScriptError",
    "ScriptTimeout",
    "compile_script",
    "load_script",
    "one_line",
    "time_limit",
]
