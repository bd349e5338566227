"""The one exception type of the staging stage.

Staging either produces a complete staging directory or raises ``StagingError`` with one
line that says what is wrong and how to fix it; the CLI prints it and exits 2.
"""

from beam_deps.errors import UsageError


class StagingError(UsageError):
    """Staging could not be completed; ``--out`` is left as it was."""
