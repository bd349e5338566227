"""A deep linked structure captured by a lambda: pickling recurses once per node."""

import apache_beam as beam


# --8<-- [start:problem]
class Node:
    def __init__(self, value, next=None):
        self.value = value
        self.next = next


chain = None
for i in range(10_000):  # a linked list 10,000 nodes deep
    chain = Node(i, chain)

beam.Map(lambda x: x + chain.value)  # Beam pickles the lambda here, and fails
# --8<-- [end:problem]
