"""BD315: a CombineFn's ``create_accumulator`` returns the list it made in ``__init__``.
Beam asks for a new accumulator per key and bundle; here every key gets the same list,
``add_input`` appends to it, and the merge counts it again: each key's result holds every
key's inputs (``a=[1, 2, 3]`` and ``b=[1, 2, 3]`` instead of ``a=[1, 3]`` and ``b=[2]``),
with no error anywhere."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Collect(beam.CombineFn):
    def __init__(self):
        self.empty = []

    def create_accumulator(self):
        return self.empty

    def add_input(self, acc, value):
        acc.append(value)
        return acc

    def merge_accumulators(self, accs):
        merged = []
        for acc in accs:
            merged.extend(acc)
        return merged

    def extract_output(self, acc):
        return sorted(acc)


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("a", 1), ("b", 2), ("a", 3)])
            | "Collect" >> beam.CombinePerKey(Collect())
            | "Show" >> beam.MapTuple(lambda key, values: f"{key}={values}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
