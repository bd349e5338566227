"""MkDocs hooks: generate the reference pages from the code at build time.

Nothing generated is checked in, so the rule pages cannot disagree with
`beam-deps explain`, nor the CLI page with `beam-deps --help`.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # build from a checkout without installing it
    sys.path.insert(0, str(ROOT))

from beam_deps.catalogue import FAMILIES, all_rules  # noqa: E402
from beam_deps.docs import (  # noqa: E402
    api_markdown,
    cli_markdown,
    rule_markdown,
    rule_page_path,
    rules_index_markdown,
)

log = logging.getLogger("mkdocs.hooks.beam_deps")
# Pages written by another part of the project: until they exist, a generated stub stands in
# so that links to them keep the strict build green, and says so on the page.
OPTIONAL_PAGES = {
    "workers.md": "# Running workers\n\n!!! note\n    This page is being written: how to run "
    "workers with `beam-deps-boot` (worker pools, custom containers) and how the staged "
    "files also work with Beam's stock boot.\n",
}


def on_config(config):
    # Snippets (code blocks and golden error messages) are included relative to the repo root.
    config.mdx_configs.setdefault("pymdownx.snippets", {})["base_path"] = [str(ROOT)]
    nav = []
    for item in config.nav:
        ((title, target),) = item.items()
        if target == "rules/index.md":
            # one folded section per family: the navigation does not list 48 codes at once
            target = ["rules/index.md"]
            for family, family_title in FAMILIES.items():
                rules = sorted((r for r in all_rules() if r.family == family), key=lambda r: r.code)
                pages = [{f"{r.code} {r.name}": rule_page_path(r)} for r in rules]
                target.append({f"{family}xx {family_title}": pages})
        nav.append({title: target})
    config.nav = nav
    return config


def on_files(files, config):
    generated = {
        "rules/index.md": rules_index_markdown(all_rules()),
        "reference/cli.md": cli_markdown(),
        "reference/api.md": api_markdown(),
    }
    for rule in all_rules():
        generated[rule_page_path(rule)] = rule_markdown(rule)
    for src_uri, stub in OPTIONAL_PAGES.items():
        if files.get_file_from_path(src_uri) is None:
            log.info("%s is not written yet; using a generated stub", src_uri)
            generated[src_uri] = stub
    for src_uri, content in generated.items():
        files.append(File.generated(config, src_uri, content=content))
    return files
