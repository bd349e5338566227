"""``python -m beam_deps.split [options] SCRIPT|-m MODULE [ARGS...]``: run a pipeline script
unchanged, with per-transform environments applied to every pipeline it runs.

This is how ``beam-deps run`` starts the script when environments are split; it is also a
way to try the feature without editing the script. ``--staging DIR`` is the folder
``beam-deps stage --out`` wrote (its manifest lists the Beam options of every environment);
without it each group's environment installs the pipeline's ``--requirements_file`` with the
group's declarations in place.
"""

from __future__ import annotations

import argparse
import logging
import sys

from beam_deps.errors import UsageError
from beam_deps.launch import (
    add_target_arguments,
    quiet_pure_wheel_warnings,
    run_target,
    target_of,
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m beam_deps.split",
        description="Run a pipeline script with per-transform environments.",
    )
    p.add_argument("--staging", metavar="DIR", help="the folder `beam-deps stage --out` wrote")
    p.add_argument(
        "--always",
        action="store_true",
        help="split even when the declarations do not conflict",
    )
    p.add_argument(
        "--experimental-dataflow-environments",
        dest="experimental_dataflow",
        action="store_true",
        help="allow Dataflow (experimental: see the dependencies page for the risks)",
    )
    add_target_arguments(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Say on stderr which transforms run in which environment (the hook logs it at INFO).
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("beam_deps.split")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        try:
            script, module, rest = target_of(args)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        from beam_deps.split.hook import install_for_process
        from beam_deps.staging.requires import collecting

        with collecting() as declared:
            install_for_process(
                args.staging,
                base=lambda: [d.requirement for d in declared if d.origin == "pipeline"],
                always=args.always,
                experimental_dataflow=args.experimental_dataflow,
            )
            if args.staging:
                quiet_pure_wheel_warnings(args.staging)
            run_target(script, module, rest)
    except UsageError as exc:
        print(f"beam-deps: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
