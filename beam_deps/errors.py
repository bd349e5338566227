"""Exceptions that mean "the tool could not do its job" (exit code 2).

Problems in the user's pipeline are diagnostics, never exceptions; these are for input the
tool cannot work with, and each carries one line that says what is wrong and how to fix it.
"""


class BeamDepsError(Exception):
    """Base class: the CLI prints ``str(exc)`` on one line and exits 2."""


class UsageError(BeamDepsError):
    """Bad input from the user: a missing file, a bad option, a script that cannot run."""
