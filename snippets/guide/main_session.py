"""What --save_main_session saves with the default pickler (cloudpickle)."""

import os
import pickle
import tempfile

from apache_beam.internal import pickler

# --8<-- [start:session]
# The stager calls this when --save_main_session is set; the file is staged
# as `pickled_main_session` and loaded by sdk_worker_main before any DoFn runs.
path = os.path.join(tempfile.mkdtemp(), "pickled_main_session")
pickler.dump_session(path)
with open(path, "rb") as f:
    print(sorted(pickle.load(f)))
# --8<-- [end:session]
