"""What loading a script yields: the pipelines it built, what failed while building them.

These are plain records shared by the loader (which fills them), the hooks (which fill them
from inside Beam) and the check and stage commands (which read them); they import nothing
of the loader, so data flows one way: hooks -> loader -> callers.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beam_deps.errors import UsageError


class ScriptError(UsageError):
    """The script could not be loaded: exit code 2 with one line saying why."""


class AnalysisFailed(BaseException):
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
    (Beam cannot create the ``--runner``: unknown name or its extra not installed here) or
    ``"options"`` (Beam cannot read the pipeline's options when it submits them: an option
    two PipelineOptions subclasses define).
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


def one_line(exc: BaseException) -> str:
    """The message on one line; a header such as Beam's "Pipeline has validations errors:"
    keeps the list that follows it, which is the part the user needs."""
    text = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not text:
        return ""
    if text[0].endswith(":") and len(text) > 1:
        return (text[0] + " " + "; ".join(text[1:]))[:500]
    return text[0][:500]
