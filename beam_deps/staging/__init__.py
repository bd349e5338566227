"""Staging: build what workers install before they unpickle anything.

Data flows one way: collect imports (``imports``) and run the script (``needs``) -> resolve
distributions (``beam_deps.environment``, ``requirements``) -> build local code
(``local_code``, ``build``) and, optionally, a wheelhouse (``wheelhouse``) -> write the manifest
(``manifest``) -> put it in place of ``--out`` (``publish``). ``stage.stage`` runs the steps in
that order; ``record`` and ``cache`` make re-staging unchanged inputs instant; ``exclusions``
decides what never ships.
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
