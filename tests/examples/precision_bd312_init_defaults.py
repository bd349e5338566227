"""BD312 precision (review of this change): ``Rule("a")`` leaves out a defaulted field in a
helper that only ``__init__`` calls, while the pipeline is built; the worker gets the
weights, never calls the helper. No BD312 with any pickler, with or without the session."""

import sys
from typing import NamedTuple

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Rule(NamedTuple):
    name: str
    weight: int = 1


def default_rules():
    return [Rule("a"), Rule("b", 2)]


class Score(beam.DoFn):
    def __init__(self, rules=None):
        self.weights = {r.name: r.weight for r in (rules or default_rules())}

    def process(self, x):
        yield f"{x}={self.weights.get(x, 0)}"


if __name__ == "__main__":
    output, argv = sys.argv[1], sys.argv[2:]
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a", "b", "c"])
            | beam.ParDo(Score())
            | beam.io.WriteToText(output, shard_name_template="")
        )
