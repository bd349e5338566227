"""The pytest plugin (entry point ``pytest11``): the test helpers as fixtures."""

import pytest


@pytest.fixture(name="assert_picklable")
def assert_picklable_fixture():
    """:func:`beam_deps.testing.assert_picklable`, without an import in your test module."""
    from beam_deps.testing import assert_picklable

    return assert_picklable


@pytest.fixture(name="assert_pipeline_ok")
def assert_pipeline_ok_fixture():
    """:func:`beam_deps.testing.assert_pipeline_ok`, without an import in your test module."""
    from beam_deps.testing import assert_pipeline_ok

    return assert_pipeline_ok
