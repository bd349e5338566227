"""Beam options on the command line that the pipeline never reads (BD003).

``beam.Pipeline()`` without options builds them from an empty list, not from ``sys.argv``,
so ``python job.py --runner=... --extra_package=...`` silently runs with the defaults and
ships nothing: exactly the arguments ``beam-deps stage`` prints would be lost.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.diagnostics import Diagnostic


def _given(argv: Sequence[str]) -> dict[str, Any]:
    from apache_beam.options.pipeline_options import PipelineOptions

    logger = logging.getLogger("apache_beam.options.pipeline_options")
    level = logger.level
    logger.setLevel(logging.ERROR)  # "Discarding unparseable args": the script's own ones
    try:
        # argparse prints its usage and raises SystemExit on a value it cannot convert
        # (``--num_workers=abc``): that is Beam's error to report when the job is submitted.
        with contextlib.redirect_stderr(io.StringIO()), _no_prefixes():
            return PipelineOptions(list(argv)).get_all_options(drop_default=True)
    except (Exception, SystemExit):  # noqa: BLE001 - the script's argv need not be Beam's
        return {}
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def _no_prefixes() -> Iterator[None]:
    """Beam's options as the command line spells them in full. Beam 2.61's option parser
    lets argparse take a prefix (newer ones pass ``allow_abbrev=False``), so the script's
    own ``--output x`` reads as ``--output_executable_path x`` there, and every script
    with an ``--output`` of its own would be told that Beam never reads it."""
    from apache_beam.options import pipeline_options

    parser = getattr(pipeline_options, "_BeamArgumentParser", None)
    if parser is None:
        yield
        return
    had = "_get_option_tuples" in vars(parser)
    saved = vars(parser).get("_get_option_tuples")
    parser._get_option_tuples = lambda self, option_string: []  # argparse's prefix matches
    try:
        yield
    finally:
        if had:
            parser._get_option_tuples = saved
        else:
            del parser._get_option_tuples


def _reached(given: Any, seen: Any) -> bool:
    if isinstance(given, list) and isinstance(seen, list):
        return all(item in seen for item in given)
    return given == seen


def ignored_arguments(
    options: Any, argv: Sequence[str], file: str | None, line: int | None
) -> list[Diagnostic]:
    given = _given(argv)
    if not given:
        return []
    try:
        seen = options.get_all_options(drop_default=True)
    except Exception:  # noqa: BLE001
        return []
    ignored = [name for name, value in given.items() if not _reached(value, seen.get(name))]
    if not ignored:
        return []
    names = ", ".join(f"--{name}" for name in ignored)
    return [
        diagnostic(
            "BD003",
            f"the pipeline built here does not take {names} from the command line: its "
            "options come from somewhere else (beam.Pipeline() without options reads an "
            "empty list), so these arguments have no effect",
            file=file,
            line=line,
        )
    ]
