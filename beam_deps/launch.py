"""``python -m beam_deps.launch --staging DIR SCRIPT|-m MODULE [ARGS...]``: how ``beam-deps
run`` starts the user's pipeline script, unchanged, with the options ``stage`` printed.

Why a launcher and not ``python SCRIPT``: Beam's stager logs, for every ``.whl`` given in
``--extra_package``, that it "must be binary-compatible with the worker runtime environment",
by file name and with no option to say a wheel is pure. For the wheel beam-deps built from the
user's own code (``py3-none-any``, in the staging folder) that warning is wrong and it is the
one line users asked us about, so the launcher drops exactly that record: only from Beam's
stager logger, only for a wheel inside ``--staging`` whose tags are all pure Python. A wheel
the user passes from elsewhere, or a platform wheel, keeps Beam's warning.

The script runs as ``python SCRIPT`` would run it (``runpy`` with ``__main__``, its folder
first on ``sys.path``, ``sys.argv`` as given), so what it pickles is what it pickles without
us; ``beam_deps.split`` starts scripts the same way (``run_target``).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import runpy
import sys
from collections.abc import Sequence
from pathlib import Path

STAGER_LOGGER = "apache_beam.runners.portability.stager"
_WHEEL_IN_MESSAGE = re.compile(
    r'The \.whl package "(?P<path>[^"]+\.whl)" provided in --extra_package'
)


def is_pure_wheel(name: str) -> bool:
    """True for a wheel every Python 3 worker installs: no ABI, any platform, a ``py3`` tag
    (``py2.py3-none-any`` too)."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        _name, _version, _build, tags = parse_wheel_filename(name)
    except InvalidWheelFilename:
        return False
    pure = all(t.abi == "none" and t.platform == "any" for t in tags)
    return pure and any(t.interpreter.startswith("py3") for t in tags)


class PureWheelWarningFilter(logging.Filter):
    """Drops Beam's "must be binary-compatible" warning for pure wheels under ``staging``."""

    def __init__(self, staging: str | os.PathLike[str]) -> None:
        super().__init__()
        self.staging = Path(staging).resolve()

    def filter(self, record: logging.LogRecord) -> bool:
        found = _WHEEL_IN_MESSAGE.search(record.getMessage())
        if not found:
            return True
        path = Path(found["path"]).resolve()
        ours = path.is_relative_to(self.staging)
        return not (ours and is_pure_wheel(path.name))


def quiet_pure_wheel_warnings(staging: str | os.PathLike[str]) -> PureWheelWarningFilter:
    """Install the filter on Beam's stager logger (records logged there, whatever handler
    prints them); returns it so a caller can remove it."""
    found = PureWheelWarningFilter(staging)
    logging.getLogger(STAGER_LOGGER).addFilter(found)
    return found


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """``SCRIPT ARGS...`` or ``-m MODULE ARGS...``: everything after the script or module
    is the pipeline's, options that look like ours included (``-m`` takes the rest)."""
    parser.add_argument(
        "-m", dest="module", nargs=argparse.REMAINDER, metavar="MODULE", help="run a module"
    )
    parser.add_argument("target", nargs=argparse.REMAINDER, metavar="SCRIPT [ARGS]")


def target_of(args: argparse.Namespace) -> tuple[str | None, str | None, list[str]]:
    """(script, module, pipeline arguments) from ``add_target_arguments``; one line of
    usage error when neither (or an empty ``-m``) is given."""
    if args.module:
        return None, args.module[0], list(args.module[1:])
    if args.target and args.module is None:
        return args.target[0], None, list(args.target[1:])
    raise ValueError("give either SCRIPT or -m MODULE, then the pipeline's arguments")


def run_target(script: str | None, module: str | None, args: Sequence[str]) -> None:
    """Run SCRIPT (or ``-m MODULE``) as ``__main__`` with ``args``, as ``python`` would."""
    if module:
        sys.argv = [module, *args]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    else:
        assert script is not None
        sys.argv = [script, *args]
        sys.path[0] = os.path.dirname(os.path.abspath(script))
        runpy.run_path(script, run_name="__main__")


def command(staging: str | os.PathLike[str], target: Sequence[str]) -> list[str]:
    """The arguments after ``python`` that start ``target`` (``[SCRIPT]`` or ``["-m", M]``)
    through this launcher."""
    return ["-m", "beam_deps.launch", "--staging", str(staging), *target]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m beam_deps.launch",
        description=(
            "Run a pipeline script unchanged, without Beam's binary-compatibility warning "
            "for the pure wheels beam-deps staged."
        ),
    )
    p.add_argument("--staging", metavar="DIR", required=True, help="the `--out` of stage")
    add_target_arguments(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        script, module, rest = target_of(args)
    except ValueError as exc:
        print(f"beam-deps: {exc}", file=sys.stderr)
        return 2
    quiet_pure_wheel_warnings(args.staging)
    run_target(script, module, rest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
