"""The `beam-deps` command: a thin face over the Python API.

Each command lives in its own module exposing ``register(subparsers)``; this file only
wires them together and turns ``BeamDepsError`` into one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from beam_deps import __version__
from beam_deps.errors import BeamDepsError, InternalError

COMMAND_MODULES = ("check", "stage", "explain")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="beam-deps",
        description="Find what will break on Apache Beam workers before you submit, and ship "
        "what they need.",
    )
    parser.add_argument("--version", action="version", version=f"beam-deps {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"beam_deps.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, extra = _parse(parser, argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    args.pipeline_args = extra
    if not getattr(args, "debug", False):
        _import_beam_quietly()
    try:
        if args.command != "explain":  # explain needs no Beam; everything else says it once
            from beam_deps.beam import require_supported

            require_supported()
        return int(args.func(args) or 0)
    except BeamDepsError as exc:
        if isinstance(exc, InternalError) and getattr(args, "debug", False):
            print(exc.traceback, file=sys.stderr)  # the child's own traceback
            return 2
        if getattr(args, "debug", False):
            raise
        print(f"beam-deps: error: {exc}", file=sys.stderr)
        _failure_document(args, str(exc))
        return 2
    except KeyboardInterrupt:
        print("beam-deps: interrupted", file=sys.stderr)
        return 2
    except Exception:  # noqa: BLE001 - a bug of ours: one line, the traceback with --debug
        if getattr(args, "debug", False):
            raise
        import traceback

        message = str(InternalError(traceback.format_exc()))
        print(f"beam-deps: error: {message}", file=sys.stderr)
        _failure_document(args, message)
        return 2


def _failure_document(args: argparse.Namespace, message: str) -> None:
    """--format json/sarif/github still get a valid document saying the check did not run."""
    from beam_deps.report import render_failure

    document = render_failure(message, getattr(args, "format", "text"))
    if document is None:
        return
    output_file = getattr(args, "output_file", None)
    try:
        if output_file:
            with open(output_file, "w", encoding="utf-8") as out:
                out.write(document)
        else:
            sys.stdout.write(document)
    except OSError:
        sys.stdout.write(document)


def _import_beam_quietly() -> None:
    """Importing apache_beam without its gcp extra logs "apitools not found" on the root
    logger, which also installs a stderr handler there. Neither is ours to show: import it
    while the root logger has a handler that drops everything, then leave the root logger
    as it was, so the user's script configures logging as it would under plain python."""
    import logging

    root = logging.getLogger()
    if root.handlers:
        return
    sink = logging.NullHandler()
    root.addHandler(sink)
    try:
        import apache_beam  # noqa: F401
    except ImportError:
        pass
    finally:
        root.removeHandler(sink)


def _parse(parser: argparse.ArgumentParser, argv: list[str]):
    """Split off everything after ``--``: those are the pipeline's own arguments."""
    if "--" in argv:
        cut = argv.index("--")
        ours, extra = argv[:cut], argv[cut + 1 :]
    else:
        ours, extra = argv, []
    try:
        args = parser.parse_args(ours)
    except SystemExit as exc:
        raise SystemExit(2 if exc.code else 0) from None
    return args, extra


if __name__ == "__main__":
    sys.exit(main())
