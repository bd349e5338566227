"""Find "the line of the user's code" on the current call stack.

Beam builds transforms many frames below the line the user wrote (`p | beam.Map(f)`);
diagnostics must point at that line, not at Beam's internals. A frame is the user's when its
file is outside the standard library, site-packages and beam-deps itself, and it is not the
interpreter's entry point (the ``beam-deps`` console script, whose ``__main__`` the script
being checked replaced). When no frame is the user's by that rule (a script that lives in
site-packages, such as Beam's own examples, building a transform inside Beam's DataFrame
API), the innermost frame of the script being run is: the line that led to the transform,
never a line of beam-deps or of its console script.
"""

from __future__ import annotations

import dis
import functools
import os
import sys
import sysconfig
from types import CodeType, FrameType

from beam_deps.pickling.locations import is_user_file


def user_location(frame: FrameType | None = None) -> tuple[str | None, int | None]:
    """(file, line) of the innermost user frame above ``frame`` (default: the caller)."""
    frame = frame or sys._getframe(1)
    main = sys.modules.get("__main__")
    script = _real(getattr(main, "__file__", None))
    in_script: tuple[str | None, int | None] = (None, None)
    while frame is not None:
        filename = frame.f_code.co_filename
        if is_user_file(filename) and not _entry_point(frame, main):
            return filename, _frame_line(frame)
        ours = script is not None and _real(filename) == script
        if in_script[0] is None and ours:
            in_script = (filename, _frame_line(frame))
        if ours and frame.f_code.co_name == "<module>":
            break  # what runs the script (beam-deps, a test calling check) is not the user's
        frame = frame.f_back
    return in_script


@functools.lru_cache(maxsize=256)
def _real(filename: str | None) -> str | None:
    if not filename or filename.startswith("<"):
        return None
    return os.path.realpath(filename)


@functools.lru_cache(maxsize=1)
def _scripts_dir() -> str:
    return os.path.join(os.path.realpath(sysconfig.get_paths()["scripts"]), "")


def _entry_point(frame: FrameType, main: object) -> bool:
    """The frame of the program that started this interpreter, not of the user's script: a
    console script in the interpreter's scripts folder (``bin/beam-deps``), or a module run as
    ``__main__`` whose place the checked script has taken."""
    real = _real(frame.f_code.co_filename)
    if real is not None and real.startswith(_scripts_dir()):
        return True
    namespace = frame.f_globals
    return namespace.get("__name__") == "__main__" and namespace is not getattr(
        main, "__dict__", None
    )


@functools.lru_cache(maxsize=512)
def _instructions(code: CodeType) -> tuple[list[dis.Instruction], dict[int, int]]:
    instructions = list(dis.get_instructions(code))
    return instructions, {ins.offset: i for i, ins in enumerate(instructions)}


def _frame_line(frame: FrameType) -> int:
    """The line where the transform is written, not where the chain starts.

    In ``(p\n | "Read" >> ...\n | "Parse" >> ...)`` Python reports every ``|`` at the line
    of ``p``. The instruction just before a ``|`` is the end of its right operand (the
    transform expression), and its position starts where that transform is written.
    """
    try:
        instructions, index = _instructions(frame.f_code)
        i = index.get(frame.f_lasti)
        if i and instructions[i].opname == "BINARY_OP":
            start = instructions[i - 1].positions
            if start is not None and start.lineno:
                return start.lineno
    except Exception:  # noqa: BLE001 - positions are best effort (older Pythons, odd code)
        pass
    return frame.f_lineno


def traceback_location(tb) -> tuple[str | None, int | None]:
    """(file, line) of the innermost user frame in a traceback (where a script raised)."""
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        if is_user_file(tb.tb_frame.f_code.co_filename):
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found
