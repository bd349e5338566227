"""Look inside a payload: what Beam's pickler carries by value and what it imports by name."""

import base64
import bz2
import io
import pickle

from apache_beam.internal import pickler


# --8<-- [start:helper]
def imported_names(obj):
    """What a worker must import to unpickle the payload Beam ships for `obj`."""
    raw = bz2.decompress(base64.b64decode(pickler.dumps(obj)))
    found = set()

    class Recorder(pickle.Unpickler):
        def find_class(self, module, name):
            target = super().find_class(module, name)
            if name == "subimport":  # cloudpickle re-imports a module by name
                return lambda mod: found.add(mod) or target(mod)
            if not module.startswith(("apache_beam.internal.cloudpickle", "builtins")):
                found.add(f"{module}.{name}")
            return target

    Recorder(io.BytesIO(raw)).load()
    return sorted(found)


# --8<-- [end:helper]
