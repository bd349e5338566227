"""Golden files: outputs the website shows, written by the tests that produce them."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
UPDATE = os.environ.get("BEAM_DEPS_UPDATE_GOLDEN") == "1"


def check_golden(name: str, text: str) -> None:
    """``tests/golden/NAME.txt`` must equal ``text``; BEAM_DEPS_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / f"{name}.txt"
    if UPDATE:
        path.write_text(text)
    assert path.exists(), f"missing golden {path}; run with BEAM_DEPS_UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{name}: output differs from {path}"
