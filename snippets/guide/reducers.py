"""What Beam's cloudpickle does with locks and open files."""

import os
import tempfile
import threading

from apache_beam.internal import pickler

# --8<-- [start:lock]
lock = threading.Lock()
lock.acquire()
copy = pickler.loads(pickler.dumps(lock))  # what a worker gets
print("lock held here:", lock.locked(), "| held in the copy:", copy.locked())
# --8<-- [end:lock]

# --8<-- [start:file]
path = os.path.join(tempfile.mkdtemp(), "lookup.csv")
with open(path, "w") as f:
    f.write("alice,1\n")

handle = open(path)
payload = pickler.dumps(handle)  # the content is read into the payload
os.remove(path)  # the file is gone, the payload still holds what it contained
copy = pickler.loads(payload)
print(type(copy).__name__, repr(copy.read()))
# --8<-- [end:file]
