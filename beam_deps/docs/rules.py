"""Rule pages: one per diagnostic code, rendered from the catalogue (like ruff's rule pages)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from beam_deps.catalogue import FAMILIES, Rule


def rule_page_path(rule: Rule) -> str:
    """Where the page lives in the site; `Rule.url` points at the same place."""
    return f"rules/{rule.code}.md"


_DOCKERFILE = re.compile(r"(FROM|RUN|ENV|COPY|ENTRYPOINT) ")


def code_language(code: str) -> str:
    """The highlighting of an example: a shell session (`$ ` prompts, output lines), a boot
    log, a Dockerfile, or (anything else) Python, which must then parse."""
    lines = [line for line in code.splitlines() if line.strip()]
    if any(line.startswith("$ ") for line in lines):
        return "console"
    if any(line.startswith("beam-deps-boot[") for line in lines):
        return "text"
    if any(_DOCKERFILE.match(line) for line in lines):
        return "dockerfile"
    return "python"


def _code_block(code: str) -> str:
    return f"```{code_language(code)}\n{code.rstrip()}\n```\n"


# How each program that stages first is named on a page: `run`, `requirements` and `package
# list` report what `stage` reports.
_STAGE = "`beam-deps stage`, and `run`, `requirements` and `package list`, which stage first,"


def _terminal_note(rule: Rule) -> str:
    """Where the code shows up and what can be done about it there: `check`'s filters apply
    only to what `check` reports."""
    code = rule.code
    explain = f"`beam-deps explain {code}` prints this entry."
    if "boot" in rule.reported_by:
        return (
            "`beam-deps-boot` stops at this error and writes it as one line of the worker's "
            "boot log (its stderr, also sent to the runner's log and, by default, raised as the "
            f"job's error): `beam-deps-boot[WORKER_ID]: error: {code} MESSAGE; FIX`, where "
            "MESSAGE names what is at fault and FIX is what to do (usually the fix above). "
            f"Look the code up with `beam-deps explain {code}`, which prints this entry. It is "
            "the worker's error, not your script's: `beam-deps check`'s filters and ignore "
            "comments do not apply, and the worker does not start until it is fixed.\n"
        )
    if "check" not in rule.reported_by:
        return (
            f"{_STAGE} report it; `beam-deps check` does not. {explain} Staging "
            "has no `--select`/`--ignore` options and reads no `# beam-deps: ignore[...]` "
            "comments; this code alone does not stop staging or change its exit code.\n"
        )
    note = (
        f"{explain} In `beam-deps check`, `--select {code}` and `--ignore {code}` filter it, "
        f"and a `# beam-deps: ignore[{code}]` comment silences it on one line."
    )
    if "stage" in rule.reported_by:
        note += (
            " `beam-deps stage` (and `run`, which stages first) also reports it; staging has "
            "no such filters."
        )
    return note + "\n"


_PROGRAMS = {"check": "`beam-deps check`", "stage": "`beam-deps stage`", "boot": "`beam-deps-boot`"}


def _severities(rule: Rule) -> str:
    """`error`, or `error` / `warning` for a rule whose findings are not all equally bad (the
    page's Severity section says when)."""
    return " / ".join(f"`{s.value}`" for s in rule.severities)


def rule_markdown(rule: Rule) -> str:
    """The page for one code: what it does, why it breaks on a worker, an example, the fix."""
    family = FAMILIES.get(rule.family, rule.family)
    parts = [
        f"# {rule.code} {rule.name}\n",
        f"**Severity:** {_severities(rule)} · **Family:** {family} ({rule.family}xx) · "
        f"**Reported by:** {', '.join(_PROGRAMS[c] for c in rule.reported_by)}\n",
        "## What it does\n",
        f"{rule.summary}\n",
        "## Why it breaks on a worker\n",
        f"{rule.explanation}\n",
    ]
    if rule.example:
        parts += ["## Example\n", _code_block(rule.example)]
    parts += ["## Fix\n", f"{rule.fix}\n"]
    if rule.example_fixed:
        parts += ["Use instead:\n", _code_block(rule.example_fixed)]
    if rule.severity_note:
        parts += ["## Severity\n", f"{rule.severity_note}\n"]
    parts += ["## In the terminal\n", _terminal_note(rule)]
    return "\n".join(parts)


def rules_index_markdown(rules: Iterable[Rule]) -> str:
    """The list of every code, grouped by family, each linking to its page."""
    lines = [
        "# Diagnostics reference\n",
        "Every finding of `beam-deps` carries a code. Each code has a page, generated from the "
        "same catalogue that `beam-deps explain CODE` prints, so the two always agree.\n",
    ]
    family = None
    for rule in sorted(rules, key=lambda r: r.code):  # the catalogue appends new codes at the end
        if rule.family != family:
            family = rule.family
            lines += [
                f"\n## {FAMILIES.get(family, family)} ({family}xx)\n",
                "| Code | Name | Severity | Summary |",
                "| --- | --- | --- | --- |",
            ]
        lines.append(
            f"| [{rule.code}]({rule.code}.md) | `{rule.name}` | "
            f"{' / '.join(s.value for s in rule.severities)} "
            f"| {rule.summary} |"
        )
    return "\n".join(lines) + "\n"
