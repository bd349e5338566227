"""Load a user's pipeline script without submitting it, and turn the pipeline into payloads.

``load_script`` runs the script as ``python SCRIPT.py`` would, intercepting ``run()``;
``collect_payloads`` serialises a captured pipeline the way the runner would and returns
every pickled payload with its transform label and the user's line.
"""

from beam_deps.pipeline.loader import (
    CapturedPipeline,
    ConstructionFailure,
    LoadedScript,
    ScriptError,
    load_script,
)
from beam_deps.pipeline.payloads import Payload, Serialized, collect_payloads

__all__ = [
    "CapturedPipeline",
    "ConstructionFailure",
    "LoadedScript",
    "Payload",
    "ScriptError",
    "Serialized",
    "collect_payloads",
    "load_script",
]
