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
