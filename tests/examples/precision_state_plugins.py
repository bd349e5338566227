"""Registers a rule in precision_state_lib.RULES when imported (at import, by a decorator)."""

from precision_state_lib import rule


@rule("upper")
def upper(word):
    return word.upper()
