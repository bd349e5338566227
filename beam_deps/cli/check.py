"""`beam-deps check SCRIPT.py [-- PIPELINE_ARGS...]`: a thin face over ``check_script``."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import warnings

from beam_deps.cli.common import (
    add_ci_output_args,
    add_common_output_args,
    emit_report,
    split_codes,
)
from beam_deps.config import load_config
from beam_deps.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="find what will break on the workers, before you submit",
        description=(
            "Run the pipeline script as `python SCRIPT.py ARGS` would, but intercept "
            "Pipeline.run(): nothing is submitted and no element is processed. Every payload "
            "Beam would ship is pickled once, inspected, and unpickled in a simulated worker "
            "that has only what a worker has. Exit code: 0 no error, 1 errors, 2 the check "
            "could not run."
        ),
        epilog="Pipeline arguments go after `--`, e.g. beam-deps check wordcount.py -- "
        "--input in.txt --output out",
    )
    parser.add_argument("script", nargs="?", help="the pipeline script to check")
    parser.add_argument(
        "-m", dest="module", metavar="MODULE", help="check a module run as `python -m MODULE`"
    )
    parser.add_argument(
        "--select", default="", metavar="CODES", help="only these codes or prefixes (BD1,BD401)"
    )
    parser.add_argument(
        "--ignore", default="", metavar="CODES", help="drop these codes or prefixes"
    )
    parser.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even when errors are found"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="give up when the script has not built its pipelines after this long (120)",
    )
    parser.add_argument(
        "--worker-image",
        metavar="IMAGE",
        help="the workers' container image, e.g. apache/beam_python3.11_sdk:2.77.0",
    )
    parser.add_argument("--worker-python", metavar="X.Y", help="the workers' Python version")
    parser.add_argument(
        "--worker-requirements",
        metavar="FILE",
        help="a pip freeze of the worker image (default: apache-beam and its dependencies "
        "at the versions installed here)",
    )
    add_common_output_args(parser)
    add_ci_output_args(parser)
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning"),
        help="exit 1 on errors only (default) or on warnings too; pyproject: fail-on",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if bool(args.script) == bool(args.module):
        raise UsageError(
            "give a script or -m MODULE (not both); e.g. `beam-deps check pipeline.py -- ARGS`"
        )
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    if args.script and not os.path.isfile(args.script):
        raise UsageError(f"no such script: {args.script}; check the path")
    config = load_config(args.script or os.getcwd())
    select = split_codes(args.select, "--select") or config.select
    ignore = split_codes(args.ignore, "--ignore") or config.ignore
    if args.script:
        ignore = ignore + config.ignored_for(args.script)
    with _quiet(args.debug):
        from beam_deps.check.environments import check_script_environments
        from beam_deps.check.isolated import can_isolate, run_isolated

        check = functools.partial(
            check_script_environments,
            args.script,
            module=args.module,
            argv=list(getattr(args, "pipeline_args", []) or []),
            select=select,
            ignore=ignore,
            worker_requirements=args.worker_requirements or config.worker_requirements,
            worker_python=args.worker_python or config.worker_python,
            worker_image=args.worker_image or config.worker_image,
            timeout=args.timeout,
        )
        # --debug keeps everything in this process, so the real traceback is shown
        if args.debug or not can_isolate():
            report = check()
        else:
            name = args.script or f"-m {args.module}"
            report = run_isolated(check, timeout=args.timeout, name=name)
    return emit_report(
        report,
        args.format,
        exit_zero=args.exit_zero,
        output_file=args.output_file,
        statistics=args.statistics,
        fail_on=args.fail_on or config.fail_on,
    )


class _quiet:
    """Beam logs warnings while a pipeline is built; they are noise next to our report."""

    def __init__(self, debug: bool) -> None:
        self.debug = debug

    def __enter__(self) -> None:
        if self.debug:
            return
        # logging.disable beats whatever level the user's script sets (wordcount sets INFO).
        logging.disable(logging.WARNING)
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc: object) -> None:
        if self.debug:
            return
        self._warnings.__exit__(*exc)
        logging.disable(logging.NOTSET)
