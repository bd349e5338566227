"""A DoFn of the precision_state_* examples whose module does NOT import
precision_state_plugins: on a worker the registry holds only what precision_state_lib
registers itself."""

import apache_beam as beam
import precision_state_lib as lib


class ApplyAll(beam.DoFn):
    def process(self, word):
        word = lib.lookup(word)
        for name in sorted(lib.RULES):
            word = lib.RULES[name](word)
        yield word
