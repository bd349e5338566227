"""A payload written by dill, read by cloudpickle."""

from apache_beam.internal import pickler

# --8<-- [start:problem]
pickler.set_library("dill")  # the submitting side used --pickle_library=dill
payload = pickler.dumps(lambda x: x + 1)

pickler.set_library("cloudpickle")  # the reading side uses the default
pickler.loads(payload)
# --8<-- [end:problem]
