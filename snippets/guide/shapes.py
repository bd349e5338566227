"""An importable module: what it defines is pickled by reference."""


# --8<-- [start:module]
class Shapes:
    class Circle:  # nested in a module-level class: qualname "Shapes.Circle"
        radius = 1.0


def make_local_class():
    class Square:  # defined in a function: qualname "make_local_class.<locals>.Square"
        side = 2.0

    return Square


# --8<-- [end:module]
