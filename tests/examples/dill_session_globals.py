"""--save_main_session under dill (issue 14 items 1 and 2): the DoFns read the script's
globals (a compiled regex, a lookup table, a helper function, a class, the modules re and
math). With the session, workers load all of them into their __main__ before any DoFn, so
check reports nothing; without it, under dill, those names are undefined there (BD201)
and `re` resolves only because sdk_worker_main imports it (BD202). With cloudpickle the
functions carry their globals either way."""

import argparse
import math
import re

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

WORD = re.compile(r"[a-z]+")
WEIGHTS = {"cat": 2, "dog": 3}


def weight(word):
    return WEIGHTS.get(word, 1) * math.ceil(len(word) / 3)


class Tally:
    def __init__(self):
        self.total = 0

    def add(self, n):
        self.total += n
        return self.total


class Weigh(beam.DoFn):
    def setup(self):
        self.tally = Tally()

    def process(self, line):
        for word in WORD.findall(line.lower()):
            self.tally.add(1)
            yield word, weight(word)


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    known, pipeline_args = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(pipeline_args)) as p:
        (
            p
            | beam.Create(["The cat", "a dog, the CAT"])
            | "Weigh" >> beam.ParDo(Weigh())
            | beam.CombinePerKey(sum)
            | beam.MapTuple(lambda word, total: f"{word} {total}")
            | beam.io.WriteToText(known.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
