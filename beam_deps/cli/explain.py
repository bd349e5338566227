"""`beam-deps explain CODE` and `beam-deps explain --list`: the catalogue, in the terminal."""

from __future__ import annotations

import argparse
import json
import textwrap

from beam_deps.catalogue import FAMILIES, Rule, all_rules, rule
from beam_deps.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="explain a diagnostic code (or list them all)",
        description="Print what a diagnostic means, why it breaks on a worker, and the fix.",
    )
    parser.add_argument("code", nargs="?", help="a diagnostic code such as BD101")
    parser.add_argument("--list", action="store_true", help="list every diagnostic code")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people, json for tools (default: text)",
    )
    parser.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.list and args.code:
        raise UsageError("give either a code or --list, not both")
    if args.list or not args.code:
        if not args.list:
            raise UsageError("give a code to explain (e.g. `beam-deps explain BD101`) or --list")
        print(_list(args.format), end="")
        return 0
    try:
        entry = rule(args.code.strip().upper())
    except KeyError:
        raise UsageError(
            f"unknown diagnostic code {args.code!r}; see `beam-deps explain --list`"
        ) from None
    print(_json(entry) if args.format == "json" else explain_text(entry), end="")
    return 0


def _list(fmt: str) -> str:
    rules = all_rules()
    if fmt == "json":
        return json.dumps([_dict(r) for r in rules], indent=2) + "\n"
    lines, family = [], None
    for r in rules:
        if r.family != family:
            family = r.family
            lines.append(f"{FAMILIES[family]}:")
        lines.append(f"  {r.code}  {_severities(r):<15}  {r.name:<32} {r.summary}")
    return "\n".join(lines) + "\n"


def _dict(r: Rule) -> dict:
    return {
        "code": r.code,
        "name": r.name,
        "severity": r.severity.value,
        "severities": [s.value for s in r.severities],
        "severity_note": r.severity_note,
        "reported_by": list(r.reported_by),
        "family": FAMILIES[r.family],
        "summary": r.summary,
        "explanation": r.explanation,
        "fix": r.fix,
        "example": r.example,
        "example_fixed": r.example_fixed,
        "url": r.url,
    }


def _severities(r: Rule) -> str:
    return " / ".join(s.value for s in r.severities)


def _json(r: Rule) -> str:
    return json.dumps(_dict(r), indent=2) + "\n"


def explain_text(r: Rule) -> str:
    def para(text: str) -> str:
        return textwrap.fill(text, 88, initial_indent="  ", subsequent_indent="  ")

    out = [f"{r.code} {r.name} ({_severities(r)})", r.summary, ""]
    out += ["Why it breaks on a worker:", para(r.explanation), ""]
    if r.example:
        out += ["Example:", textwrap.indent(r.example.rstrip(), "    "), ""]
    out += ["Fix:", para(r.fix), ""]
    if r.example_fixed:
        out += ["Use instead:", textwrap.indent(r.example_fixed.rstrip(), "    "), ""]
    if r.severity_note:
        out += ["Severity:", para(r.severity_note), ""]
    out += [f"Reported by: {', '.join(r.reported_by)}", f"Docs: {r.url}"]
    return "\n".join(out) + "\n"
