"""Nested classes: which ones a worker must import, which ones travel by value."""

from payload import imported_names
from shapes import Shapes, make_local_class

# --8<-- [start:nested]
Square = make_local_class()
print("Shapes.Circle():", imported_names(Shapes.Circle()))
print("local Square() :", imported_names(Square()))
print("qualname       :", Square.__qualname__)
# --8<-- [end:nested]
