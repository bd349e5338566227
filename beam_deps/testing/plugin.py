"""The pytest plugin (entry point ``pytest11``): ``assert_picklable`` as a fixture."""

import pytest


@pytest.fixture(name="assert_picklable")
def assert_picklable_fixture():
    """:func:`beam_deps.testing.assert_picklable`, without an import in your test module."""
    from beam_deps.testing import assert_picklable

    return assert_picklable
