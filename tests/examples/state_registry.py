"""A registry module of the state_* examples: rules are registered with @rule, and
ApplyRules (a DoFn of this module, pickled by reference) applies them on the workers."""

import apache_beam as beam

RULES = {}


def rule(name):
    def register(fn):
        RULES[name] = fn
        return fn

    return register


@rule("strip")
def strip(word):
    return word.strip()


class ApplyRules(beam.DoFn):
    def process(self, word):
        for name in sorted(RULES):
            word = RULES[name](word)
        yield word
