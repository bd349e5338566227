"""Rule pages: one per diagnostic code, rendered from the catalogue (like ruff's rule pages)."""

from __future__ import annotations

from collections.abc import Iterable

from beam_deps.catalogue import FAMILIES
from beam_deps.diagnostics import Rule


def rule_page_path(rule: Rule) -> str:
    """Where the page lives in the site; `Rule.url` points at the same place."""
    return f"rules/{rule.code}.md"


def _code_block(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```\n"


def rule_markdown(rule: Rule) -> str:
    """The page for one code: what it does, why it breaks on a worker, an example, the fix."""
    family = FAMILIES.get(rule.family, rule.family)
    parts = [
        f"# {rule.code} {rule.name}\n",
        f"**Severity:** `{rule.severity.value}` · **Family:** {family} ({rule.family}xx)\n",
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
    parts += [
        "## In the terminal\n",
        f"`beam-deps explain {rule.code}` prints this entry; `--select {rule.code}` and "
        f"`--ignore {rule.code}` filter it, and a `# beam-deps: ignore[{rule.code}]` comment "
        "silences it on one line.\n",
    ]
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
            f"| [{rule.code}]({rule.code}.md) | `{rule.name}` | {rule.severity.value} "
            f"| {rule.summary} |"
        )
    return "\n".join(lines) + "\n"
