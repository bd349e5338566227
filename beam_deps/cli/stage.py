"""`beam-deps stage`, `package list`, `requirements` and `run`: thin faces over
``beam_deps.staging.stage``.

All four share one way to name the pipeline (SCRIPT or -m MODULE, pipeline arguments after
``--``) and the same staging options, so what `package list` shows is exactly what `stage`
ships and what `run` submits.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from beam_deps.cli.common import add_common_output_args, split_codes
from beam_deps.diagnostics import Report
from beam_deps.errors import UsageError

DEFAULT_OUT = "beam-deps-staging"


def register(subparsers) -> None:
    stage = subparsers.add_parser(
        "stage",
        help="stage requirements, local code and a manifest for the workers",
        description="Build what the workers need (pinned requirements.txt, wheels of local "
        "code, optional wheelhouse, beam_deps_manifest.json) into --out, and print the stock "
        "Beam options that ship it.",
    )
    _add_target(stage)
    _add_staging_options(stage)
    add_common_output_args(stage, formats=("text", "json"))
    stage.set_defaults(func=run_stage)

    package = subparsers.add_parser(
        "package",
        help="inspect the local code that would ship",
        description="Inspect the local code `stage` would ship to the workers.",
    )
    actions = package.add_subparsers(dest="package_command", metavar="ACTION")
    listing = actions.add_parser(
        "list",
        help="list the local files that would ship, one per line",
        description="Stage into a temporary folder and list the local files that would ship "
        "to the workers, one per line; with --verbose, also every file left out and why "
        "(secrets, ignore rules, not imported). Nothing is written to the project.",
    )
    _add_target(listing)
    _add_staging_options(listing, out=False)
    listing.add_argument(
        "-v", "--verbose", action="store_true", help="also show what was excluded and why"
    )
    listing.add_argument("--debug", action="store_true", help="show tracebacks")
    listing.set_defaults(func=run_package_list)
    package.set_defaults(func=_package_usage)

    requirements = subparsers.add_parser(
        "requirements",
        help="print the pinned requirements the pipeline needs on workers",
        description="Run the script until it builds its pipeline and print, one per line, the "
        "pinned requirements its workers must install (what `stage` writes to "
        "requirements.txt): the distributions of what it imports and what its payloads "
        "reference, minus what the worker image already has.",
    )
    _add_target(requirements)
    _add_staging_options(requirements, out=False)
    requirements.add_argument("--debug", action="store_true", help="show tracebacks")
    requirements.set_defaults(func=run_requirements)

    run = subparsers.add_parser(
        "run",
        help="stage, check, then run the script with the staging options added",
        description="One command from laptop to cluster: stage into --out, check the pipeline "
        "with the staged artifacts (stop on errors), then run `python SCRIPT ARGS "
        "<staging options>`.",
    )
    _add_target(run)
    _add_staging_options(run)
    run.add_argument("--skip-check", action="store_true", help="do not run `beam-deps check` first")
    run.add_argument(
        "--select", default="", metavar="CODES", help="check only these codes (BD1,BD401)"
    )
    run.add_argument(
        "--ignore", default="", metavar="CODES", help="drop these codes or prefixes from the check"
    )
    run.add_argument(
        "--exit-zero",
        action="store_true",
        help="run the pipeline even when the check finds errors (they are still shown)",
    )
    run.add_argument(
        "--fail-on",
        choices=("error", "warning"),
        help="stop before running on errors only (default) or on warnings too; pyproject: fail-on",
    )
    add_common_output_args(run, formats=("text", "json"))
    run.set_defaults(func=run_run)


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("script", nargs="?", help="the pipeline script (python SCRIPT.py ...)")
    parser.add_argument("-m", dest="module", metavar="MODULE", help="run a module instead")


def _add_staging_options(parser: argparse.ArgumentParser, out: bool = True) -> None:
    if out:
        parser.add_argument(
            "--out",
            metavar="DIR",
            help=f"staging directory (default: [tool.beam-deps] out, else {DEFAULT_OUT})",
        )
        parser.add_argument(
            "--wheelhouse",
            action="store_true",
            help="also download wheels of every requirement for the worker's platform",
        )
        parser.add_argument(
            "--worker-python", metavar="X.Y", help="worker Python X.Y for --wheelhouse"
        )
        parser.add_argument(
            "--worker-platform",
            action="append",
            metavar="TAG",
            help="worker platform tag for --wheelhouse (e.g. manylinux2014_x86_64); repeatable",
        )
    parser.add_argument(
        "--worker-requirements",
        metavar="FILE",
        help="what the worker image has (pip freeze); default: apache-beam and its closure",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="give up on a script that hangs (seconds)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="do not reuse a previous identical staging"
    )


def _configured(args):
    """Apply ``[tool.beam-deps]`` (found upward from the script, as `check` finds it) where
    the command line said nothing: ``out`` (stage, run), ``worker-requirements``. Returns the
    configuration, which `run` also hands to its check."""
    from beam_deps.config import load_config

    config = load_config(args.script or os.getcwd())
    if hasattr(args, "out"):
        args.out = args.out or config.out or DEFAULT_OUT
    args.worker_requirements = args.worker_requirements or config.worker_requirements
    return config


def _target_kwargs(args) -> dict:
    if bool(args.script) == bool(args.module):
        raise UsageError(
            "give either SCRIPT or -m MODULE; e.g. beam-deps stage pipeline.py -- --runner=..."
        )
    return {"script": args.script, "module": args.module}


def _stage(args, out: str, **kwargs):
    from beam_deps.staging import stage
    from beam_deps.staging.wheelhouse import Target

    if args.timeout is not None and args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    target = None
    if getattr(args, "worker_python", None) or getattr(args, "worker_platform", None):
        target = Target(args.worker_python, tuple(args.worker_platform or ()))
    return stage(
        out=out,
        pipeline_args=list(args.pipeline_args or ()),
        wheelhouse=getattr(args, "wheelhouse", False),
        worker_requirements=args.worker_requirements,
        use_cache=not args.no_cache,
        timeout=args.timeout,
        target=target,
        **_target_kwargs(args),
        **kwargs,
    )


def _print_diagnostics(diagnostics, stream=None) -> None:
    if not diagnostics:
        return
    from beam_deps.report import render

    _write(render(Report(list(diagnostics)), "text"), stream or sys.stderr)


def _write(text: str, stream=None) -> None:
    """Print ``text``; a reader that went away (``| head``) is not an error: the rest of the
    output is dropped without a BrokenPipeError traceback when Python flushes at exit."""
    stream = stream or sys.stdout
    try:
        stream.write(text if text.endswith("\n") else text + "\n")
        stream.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


def _exit_code(staging) -> int:
    return 0 if staging.ok else 1


def _gitignore_hint(out: Path, existed: bool) -> None:
    """A new staging folder inside a git work tree is build output: say how to keep it out of
    commits (once, when the folder was just created and nothing ignores it yet)."""
    if existed or shutil.which("git") is None or not out.is_dir():
        return
    try:
        inside = subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree"],
            cwd=out,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if inside.stdout.strip() != "true":
            return
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", str(out)], cwd=out.parent, capture_output=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return
    if ignored.returncode == 1:  # 0: ignored, 128: git could not tell
        _write(
            f"beam-deps: {out.name}/ is build output inside a git work tree: add "
            f"'{out.name}/' to .gitignore so it is not committed",
            sys.stderr,
        )


# ---------------------------------------------------------------------------- stage
def _stage_json(staging) -> dict:
    """The staging result with the report's path style: ``out`` and each finding's ``file``
    relative to ``root`` (the project root) when inside it, as in `check --format json`.
    ``pipeline_args`` stay absolute: they are options Beam reads from any folder."""
    from beam_deps.report.json import report_dict
    from beam_deps.report.paths import shown_path

    found = report_dict(Report(list(staging.diagnostics)))
    data = staging.to_json()
    data["out"] = shown_path(str(staging.out), found["root"])
    data["diagnostics"] = found["diagnostics"]
    data["root"] = found["root"]
    return data


def run_stage(args) -> int:
    _configured(args)
    existed = Path(args.out).exists()
    staging = _stage(args, args.out)
    if args.format == "json":
        _write(json.dumps(_stage_json(staging), indent=2))
        return _exit_code(staging)
    _print_diagnostics(staging.diagnostics)
    if not staging.written:
        _write(f"beam-deps: nothing staged: fix the errors above; {args.out} is unchanged",
               sys.stderr)  # fmt: skip
        return 1
    _write(_summary(staging, args))
    _gitignore_hint(staging.out, existed)
    return _exit_code(staging)


def _summary(staging, args) -> str:
    key = (staging.environment_key or "")[:12]
    lines = [f"staged into {staging.out} (environment {key}{', reused' if staging.cached else ''})"]
    for a in staging.artifacts:
        lines.append(f"  {a.role:<13} {a.path}")
    lines.append(f"  {'manifest':<13} beam_deps_manifest.json")
    for name, env in staging.environments.items():
        if not env.get("default"):
            transforms = ", ".join(env["transforms"])
            lines.append(f"  {'environment':<13} {env['path']}/ {name}: {transforms}")
    if staging.requirements:
        lines.append("requirements: " + ", ".join(staging.requirements))
    if staging.index_at_boot and not getattr(args, "wheelhouse", False):
        lines.append(_index_note(len(staging.index_at_boot)))
    command = ["python", *_target(args, staging), *(args.pipeline_args or ())]
    command += staging.pipeline_args
    lines.append("run the pipeline with:")
    lines.append("  " + " ".join(shlex.quote(a) for a in command))
    return "\n".join(lines)


def _target(args, staging, *, launcher: bool = False) -> list[str]:
    """How to start the script: through ``beam_deps.split`` when some transforms have
    environments of their own (it applies them when the pipeline is submitted). `run` starts
    it through ``beam_deps.launch`` otherwise (``launcher``); both run it unchanged and drop
    Beam's "must be binary-compatible" warning for the pure wheels staged here. The command
    `stage` prints stays ``python SCRIPT``: stock Beam options, nothing of ours needed."""
    from beam_deps.launch import command

    target = [args.script] if args.script else ["-m", args.module]
    if staging.split:
        return ["-m", "beam_deps.split", "--staging", str(staging.out), *target]
    return command(staging.out, target) if launcher else target


def _index_note(count: int) -> str:
    """Workers reach the package index at boot unless a wheelhouse ships the wheels."""
    what = "1 requirement" if count == 1 else f"{count} requirements"
    return (
        f"workers will install {what} from the package index when they start; "
        "--wheelhouse ships the wheels so workers do not depend on the index"
    )


# ---------------------------------------------------------------------------- package list
def _package_usage(args) -> int:
    raise UsageError("missing action; use `beam-deps package list SCRIPT`")


def _stage_to_temp(args):
    """Stage into a temporary folder to read what would ship. A script that stops before its
    pipeline is built (its own required arguments not given) falls back to its import closure,
    said on stderr: `stage` and `run` still need the real arguments."""
    with tempfile.TemporaryDirectory(prefix="beam-deps-list-") as tmp:
        staging = _stage(args, str(Path(tmp) / "staging"), static_fallback=True)
    if staging.static:
        _write(
            f"beam-deps: static result: the script did not build its pipeline ({staging.static}); "
            "this comes from its imports alone (what it imports at run time, its payloads and "
            "its @requires are not seen): pass its arguments after -- for the full result",
            sys.stderr,
        )
    return staging


def run_package_list(args) -> int:
    _configured(args)
    staging = _stage_to_temp(args)
    _print_diagnostics(staging.diagnostics)
    lines = list(staging.shipped)
    if args.verbose:
        lines += [f"excluded: {path} ({why})" for path, why in staging.excluded]
    if lines:
        _write("\n".join(lines))
    return _exit_code(staging)


# ---------------------------------------------------------------------------- requirements
def run_requirements(args) -> int:
    _configured(args)
    staging = _stage_to_temp(args)
    _print_diagnostics(staging.diagnostics)
    if staging.requirements:
        _write("\n".join(staging.requirements))
    return _exit_code(staging)


# ---------------------------------------------------------------------------- run
def run_run(args) -> int:
    """Stage, check with the staged artifacts, then run the script with the staging options.

    Checking comes after staging on purpose: `check` reads `--requirements_file` and
    `--extra_package` from the pipeline options, so with the staging options added its
    simulated worker sees exactly what the workers will have, and "local module not staged"
    is no longer reported for code that staging ships. What staging and check found is shown
    as one report, with one summary. ``--select``/``--ignore`` (or pyproject's) filter the
    check as they filter `beam-deps check`; staging's own findings are never filtered.
    """
    config = _configured(args)
    select = split_codes(args.select, "--select") or config.select
    ignore = split_codes(args.ignore, "--ignore") or config.ignore
    if args.script:
        ignore = ignore + config.ignored_for(args.script)
    fail_on = args.fail_on or config.fail_on
    _write(_runs_note(args), sys.stderr)
    existed = Path(args.out).exists()
    staging = _stage(args, args.out)
    if not staging.written:
        _report(list(staging.diagnostics), args)
        _write("beam-deps: not running: staging found errors (above)", sys.stderr)
        return 1
    _gitignore_hint(staging.out, existed)
    pipeline_args = list(args.pipeline_args or ()) + staging.pipeline_args
    found = list(staging.diagnostics)
    checked: list = []
    if not args.skip_check:
        report = _check(args, pipeline_args, staging, select=select, ignore=ignore)
        if report is not None:  # a finding both report is shown once
            seen = {(d.code, d.message) for d in found}
            checked = [d for d in report.diagnostics if (d.code, d.message) not in seen]
            found += checked
    if found:
        _report(found, args)
    stop = not Report(found).ok or (
        fail_on == "warning" and Report(checked).summary()["warnings"] > 0
    )
    if stop and not (args.exit_zero and Report(list(staging.diagnostics)).ok):
        why = "errors" if not Report(found).ok else "warnings (fail-on: warning)"
        _write(f"beam-deps: not running: check found {why} (above)", sys.stderr)
        return 1
    cmd = [sys.executable, *_target(args, staging, launcher=True), *pipeline_args]
    _write("beam-deps: running " + " ".join(shlex.quote(c) for c in cmd), sys.stderr)
    return subprocess.call(cmd)


def _runs_note(args) -> str:
    """`run` starts the user's script more than once: whatever it does before
    ``Pipeline.run()`` (at import, writing files, calling services) happens each time."""
    name = args.script or f"-m {args.module}"
    if args.skip_check:
        times, steps = "twice", "to stage (unless a previous staging is reused), then for real"
    else:
        times = "up to three times"
        steps = "to stage (unless a previous staging is reused), to check, then for real"
    return (
        f"beam-deps: run starts {name} {times} ({steps}): what it does before "
        "Pipeline.run(), at import too, happens each time"
    )


def _report(diagnostics, args) -> None:
    from beam_deps.report import render

    fmt = "text" if args.format == "text" else args.format
    _write(render(Report(list(diagnostics)), fmt), sys.stderr)


def _check(args, pipeline_args: list[str], staging=None, *, select=(), ignore=()) -> Report | None:
    """``beam_deps.check.check_script`` (the check helper's API)."""
    try:
        from beam_deps.check import check_script
    except ImportError as exc:
        raise UsageError(
            f"`beam-deps check` is not available in this installation ({exc}); rerun with "
            "--skip-check"
        ) from None
    kwargs = {
        "module": args.module,
        "timeout": args.timeout,
        "worker_requirements": args.worker_requirements,
        "select": list(select),
        "ignore": list(ignore),
    }
    if staging is not None and staging.split:  # each transform against its own environment
        from beam_deps.check.environments import check_environments

        return check_environments(
            args.script,
            staging.out,
            argv=list(args.pipeline_args or ()),
            default_args=staging.pipeline_args,
            **kwargs,
        )
    return check_script(args.script, argv=pipeline_args, **kwargs)
