"""A local module next to the pipeline script."""


# --8<-- [start:module]
def normalise(name):
    return name.strip().lower()


# --8<-- [end:module]
