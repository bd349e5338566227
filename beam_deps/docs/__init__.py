"""Generate the website's reference pages from the code, so the two cannot drift apart.

The website's MkDocs hook (``website/hooks.py``) calls these at build time; nothing they
produce is checked in.
"""

from beam_deps.docs.api import api_markdown
from beam_deps.docs.cli import cli_markdown
from beam_deps.docs.rules import rule_markdown, rule_page_path, rules_index_markdown

__all__ = [
    "api_markdown",
    "cli_markdown",
    "rule_markdown",
    "rule_page_path",
    "rules_index_markdown",
]
