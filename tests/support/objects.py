"""Importable test objects: a real worker could import these by name."""

from __future__ import annotations

import apache_beam as beam


class Holder:
    """A plain object with attributes, like a user's client or config object."""

    def __init__(self, **attrs):
        self.__dict__.update(attrs)


class HoldingFn(beam.DoFn):
    def __init__(self, **attrs):
        super().__init__()
        self.__dict__.update(attrs)

    def process(self, element):
        yield element


class Refuses:
    """Refuses to be pickled, as many C-level resources do."""

    def __reduce__(self):
        raise TypeError(f"cannot pickle {type(self).__name__!r} object")


class ReduceRaisesOddly:
    def __reduce_ex__(self, protocol):
        raise RuntimeError("boom from __reduce_ex__")


class AnswersEverything:
    """``__getattr__`` answers every name, like many proxies do."""

    def __getattr__(self, name):
        return lambda *a, **k: self


def make_closure(value):
    def inner(x):
        return (x, value)

    return inner


class Outer:
    class Inner:
        pass


def make_local_class():
    class Local:
        pass

    return Local


def make_local_dofn():
    import apache_beam as beam

    class LocalFn(beam.DoFn):
        def process(self, x):
            yield x

    return LocalFn()
