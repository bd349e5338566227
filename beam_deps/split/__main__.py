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
import os
import runpy
import sys

from beam_deps.errors import UsageError


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
    p.add_argument("-m", dest="module", metavar="MODULE", help="run a module instead")
    p.add_argument("script", nargs="?")
    p.add_argument("args", nargs=argparse.REMAINDER)
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
        if bool(args.script) == bool(args.module):
            raise UsageError("give either SCRIPT or -m MODULE, then the pipeline's arguments")
        from beam_deps.split.hook import install_for_process
        from beam_deps.staging.requires import collecting

        with collecting() as declared:
            install_for_process(
                args.staging,
                base=lambda: [d.requirement for d in declared if d.origin == "pipeline"],
                always=args.always,
                experimental_dataflow=args.experimental_dataflow,
            )
            if args.module:
                sys.argv = [args.module, *args.args]
                runpy.run_module(args.module, run_name="__main__", alter_sys=True)
            else:
                sys.argv = [args.script, *args.args]
                sys.path[0] = os.path.dirname(os.path.abspath(args.script))
                runpy.run_path(args.script, run_name="__main__")
    except UsageError as exc:
        print(f"beam-deps: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
