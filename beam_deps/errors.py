"""Exceptions that mean "the tool could not do its job" (exit code 2).

Problems in the user's pipeline are diagnostics, never exceptions; these are for input the
tool cannot work with, and each carries one line that says what is wrong and how to fix it.
"""


class BeamDepsError(Exception):
    """Base class: the CLI prints ``str(exc)`` on one line and exits 2."""


class UsageError(BeamDepsError):
    """Bad input from the user: a missing file, a bad option, a script that cannot run."""


class InternalError(BeamDepsError):
    """A bug in beam-deps itself, met where it cannot be shown as its traceback (the check's
    child process). One line without ``--debug``: what failed, and that it is ours to fix;
    ``traceback`` keeps the whole story for ``--debug``."""

    def __init__(self, traceback: str) -> None:
        self.traceback = traceback
        lines = [line for line in traceback.strip().splitlines() if line.strip()]
        last = lines[-1].strip() if lines else "unknown error"
        super().__init__(
            f"internal error in beam-deps ({last[:300]}); this is a bug in beam-deps, not in "
            "your pipeline: rerun with --debug for the traceback and report it"
        )
