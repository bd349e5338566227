"""Find "the line of the user's code" on the current call stack.

Beam builds transforms many frames below the line the user wrote (`p | beam.Map(f)`);
diagnostics must point at that line, not at Beam's internals. A frame is the user's when its
file is outside the standard library, site-packages and beam-deps itself.
"""

from __future__ import annotations

import dis
import functools
import sys
from types import CodeType, FrameType

from beam_deps.pickling.locations import is_user_file


def user_location(frame: FrameType | None = None) -> tuple[str | None, int | None]:
    """(file, line) of the innermost user frame above ``frame`` (default: the caller)."""
    frame = frame or sys._getframe(1)
    while frame is not None:
        if is_user_file(frame.f_code.co_filename):
            return frame.f_code.co_filename, _frame_line(frame)
        frame = frame.f_back
    return None, None


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
