"""A shipped helper module of the precision_state_* examples: state that code running on the
workers fills itself (a memo, an lru_cache, a logger) and a rule registry that
precision_state_plugins fills when it is imported."""

import functools
import logging

log = logging.getLogger(__name__)
RULES = {}
_MEMO = {}


def rule(name):
    def register(fn):
        RULES[name] = fn
        return fn

    return register


def lookup(word):
    if word not in _MEMO:
        _MEMO[word] = word.strip()
    return _MEMO[word]


@functools.lru_cache(maxsize=None)
def norm(word):
    return word.lower()


_MODEL = None
_PAIRS = {}


class Model:
    def __init__(self, suffix):
        self.suffix = suffix


def get_model():
    global _MODEL
    if _MODEL is None:
        _MODEL = Model("")
    return _MODEL


def pair(a, b):
    if (a, b) not in _PAIRS:
        _PAIRS[a, b] = a + b
    return _PAIRS[a, b]


class Cache:
    _store = {}

    @classmethod
    def get(cls, key):
        if key not in cls._store:
            cls._store[key] = key
        return cls._store[key]
