"""BD423: a ``--setup_file`` Beam's stager will refuse at submission.

Beam's stager builds the package of ``--setup_file`` when the job is submitted, after the
pipeline was built: a path that names no file, or a file not named ``setup.py`` or
``pyproject.toml``, stops the submission there with a ``RuntimeError``. Like a missing
``--requirements_file`` (BD414), a relative path is resolved from the folder the job is
submitted from, so it may work from one folder and fail from another.
"""

from __future__ import annotations

import os
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.diagnostics import Diagnostic

# The names Beam's stager accepts (runners/portability/stager.py, create_job_resources).
ACCEPTED = ("setup.py", "pyproject.toml")


def setup_file_diagnostics(options: Any) -> list[Diagnostic]:
    from apache_beam.options.pipeline_options import SetupOptions

    path = options.view_as(SetupOptions).setup_file
    if path is None:
        return []
    if not os.path.isfile(path):
        return [
            diagnostic(
                "BD423",
                f"--setup_file {path!r} does not exist (looked for from {os.getcwd()}): Beam's "
                f"stager stops the submission with 'The file {path} cannot be found'",
            )
        ]
    if os.path.basename(path) not in ACCEPTED:
        return [
            diagnostic(
                "BD423",
                f"--setup_file {path!r} is not named setup.py or pyproject.toml: Beam's stager "
                "stops the submission with 'The --setup_file option expects the full path to a "
                "file named setup.py or pyproject.toml'",
            )
        ]
    return []
