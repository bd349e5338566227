"""Staging: build what workers install before they unpickle anything.

Data flows one way: collect imports (``imports``) -> resolve distributions
(``distributions``, ``requirements``) -> build local code (``local_code``) and, optionally, a
wheelhouse (``wheelhouse``) -> write the manifest (``manifest``). ``stage.stage`` runs the
whole flow; ``cache`` makes re-staging unchanged inputs instant.
"""

from beam_deps.staging.errors import StagingError
from beam_deps.staging.requires import declared_on, requires, requires_base
from beam_deps.staging.stage import Staging, beam_args, stage

__all__ = [
    "Staging",
    "StagingError",
    "beam_args",
    "declared_on",
    "requires",
    "requires_base",
    "stage",
]
