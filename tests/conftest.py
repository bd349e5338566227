"""Shared fixtures. Each test area keeps its own helpers in its own module."""

from __future__ import annotations

import importlib.util

import pytest

HAS_DILL = importlib.util.find_spec("dill") is not None

LIBRARIES = [
    "cloudpickle",
    pytest.param(
        "dill",
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
