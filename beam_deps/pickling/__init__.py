"""Beam-faithful pickling, and the analysis built around it.

Serialisation always goes through Beam's own pickler facade (``apache_beam.internal.pickler``)
so that what we judge is exactly what Beam will ship.
"""

from beam_deps.pickling.analysis import Analysis, analyse, check_object
from beam_deps.pickling.libraries import (
    LIBRARIES,
    dill_version,
    dumps,
    loads,
    normalize_library,
    raw_pickle,
    using_library,
)
from beam_deps.pickling.references import references, required_modules

__all__ = [
    "LIBRARIES",
    "Analysis",
    "analyse",
    "check_object",
    "dill_version",
    "dumps",
    "loads",
    "normalize_library",
    "raw_pickle",
    "references",
    "required_modules",
    "using_library",
]
