"""The DoFn of the precision_state_* examples. It travels by reference: a worker imports this
module, which imports precision_state_plugins, so the registry holds the plugin's rule there
too; the memo and the lru_cache are filled by the DoFn itself on first use."""

import apache_beam as beam
import precision_state_lib as lib
import precision_state_plugins  # noqa: F401 - registers its rules on import, here and there


class Normalize(beam.DoFn):
    def process(self, word):
        word = lib.lookup(word)
        for name in sorted(lib.RULES):
            word = lib.RULES[name](word)
        lib.log.debug("word %s", word)
        if (word, 0) not in lib._PAIRS:  # an inline memo with a tuple key, filled here
            lib._PAIRS[word, 0] = word.strip()
        word = lib._PAIRS[word, 0]
        word = lib.Cache.get(lib.pair(word, lib.get_model().suffix))
        yield lib.norm(word) + "/" + word
