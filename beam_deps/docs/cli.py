"""The CLI reference page, rendered from the real argparse parsers of the console scripts:
`beam-deps` (with each command) and the worker boot program `beam-deps-boot`."""

from __future__ import annotations

import argparse
import importlib
import os


def _help(parser: argparse.ArgumentParser) -> str:
    """argparse wraps to the terminal width: pin it so the page is the same on every machine."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        return parser.format_help().rstrip()
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def _parser_and_missing() -> tuple[argparse.ArgumentParser, list[str]]:
    """The real parser; commands whose module is not importable yet are listed as missing."""
    from beam_deps import cli

    try:
        return cli.build_parser(), []
    except ImportError:
        pass
    parser = argparse.ArgumentParser(
        prog="beam-deps",
        description="Find what will break on Apache Beam workers before you submit, and ship "
        "what they need.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    missing = []
    for name in cli.COMMAND_MODULES:
        try:
            module = importlib.import_module(f"beam_deps.cli.{name}")
        except ImportError:
            missing.append(name)
            continue
        module.register(subparsers)
    return parser, missing


def _commands(parser: argparse.ArgumentParser, prefix: str) -> list[str]:
    """A section per (sub)command, depth first, e.g. `beam-deps package list`."""
    parts = []
    for action in parser._actions:  # argparse keeps subcommands here, there is no public API
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                parts += [f"## {prefix} {name}\n", f"```text\n{_help(sub)}\n```\n"]
                parts += _commands(sub, f"{prefix} {name}")
    return parts


def _boot_section() -> list[str]:
    """`beam-deps-boot`, the worker boot program (beam_deps.boot.main.build_parser)."""
    from beam_deps.boot.main import build_parser

    return [
        "## beam-deps-boot\n",
        "The worker boot program (see [Running workers](../workers.md)). Beam runs it with the "
        "container contract flags; `--setup-only --staged DIR` prepares a staging directory's "
        "environment without starting a worker. Go-style single-dash flags (`-id=1`) are "
        "accepted too.\n",
        f"```text\n{_help(build_parser())}\n```\n",
    ]


def cli_markdown() -> str:
    """Usage and options of `beam-deps`, each of its commands, and `beam-deps-boot`."""
    parser, missing = _parser_and_missing()
    parts = [
        "# CLI reference\n",
        "Generated from the argparse parsers of `beam-deps` and `beam-deps-boot` when this site "
        "was built. For `beam-deps`, everything after `--` is passed to your pipeline as its own "
        "arguments.\n",
        "## beam-deps\n",
        f"```text\n{_help(parser)}\n```\n",
    ]
    parts += _commands(parser, "beam-deps")
    if missing:
        names = ", ".join(f"`{m}`" for m in missing)
        parts.append(
            f'!!! note "Not in this build"\n    Commands not yet available when this site was '
            f"built: {names}.\n"
        )
    parts += _boot_section()
    return "\n".join(parts)
