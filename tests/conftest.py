"""Shared fixtures. Each test area keeps its own helpers in its own module."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

import pytest

HAS_DILL = importlib.util.find_spec("dill") is not None
DILL_VERSION = importlib.metadata.version("dill") if HAS_DILL else None
# Beam's --pickle_library=dill needs exactly dill 0.3.1.1 (apache-beam[dill], the tox 'dill'
# env); users of any newer dill pass dill_unsafe (the tox 'dillnew' env).
DILL_LIBRARY = "dill" if DILL_VERSION in (None, "0.3.1.1") else "dill_unsafe"

LIBRARIES = [
    "cloudpickle",
    pytest.param(
        DILL_LIBRARY,
        marks=pytest.mark.skipif(
            not HAS_DILL, reason="dill not installed: runs in the tox 'dill' env"
        ),
    ),
]


@pytest.fixture(params=LIBRARIES)
def library(request) -> str:
    """Each test that takes ``library`` runs under cloudpickle and, where installed, dill."""
    return request.param


def pytest_collection_modifyitems(config, items):
    """Mark everything about dill, so the tox ``dill`` env can run just that (``-m dill``)."""
    for item in items:
        if "dill" in item.nodeid.lower():
            item.add_marker(pytest.mark.dill)


def pytest_collection_finish(session):
    """Tell the real-run batches which tests run (after ``-k``/``-m`` deselection)."""
    import isolated

    isolated.SELECTED = {item.nodeid for item in session.items}


@pytest.fixture
def bad_dir(tmp_path) -> Path:
    """The bad scripts of tests/examples/bad, plus one with a syntax error (kept out of the
    repo: it breaks ruff)."""
    for script in (Path(__file__).parent / "examples" / "bad").glob("*.py"):
        (tmp_path / script.name).write_text(script.read_text())
    (tmp_path / "syntax_error.py").write_text("import apache_beam as beam\n\ndef broken(:\n")
    return tmp_path
