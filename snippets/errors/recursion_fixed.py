"""The fix: capture flat data, not a chain of objects."""

import apache_beam as beam

# --8<-- [start:fix]
values = list(range(10_000))  # a flat list pickles at any size

beam.Map(lambda x, values: x + values[-1], values)
print("pickled fine")
# --8<-- [end:fix]
