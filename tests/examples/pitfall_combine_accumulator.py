"""BD302: a CombineFn whose accumulators are instances of a class defined in the script.
Beam encodes accumulators between the partial and the final combine with its fallback coder,
which pickles the class by reference to __main__: "Can't pickle <class '__main__.MeanAcc'>"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class MeanAcc:
    def __init__(self):
        self.total = 0.0
        self.count = 0


class MeanFn(beam.CombineFn):
    def create_accumulator(self):
        return MeanAcc()

    def add_input(self, acc, x):
        acc.total += x
        acc.count += 1
        return acc

    def merge_accumulators(self, accs):
        merged = MeanAcc()
        for acc in accs:
            merged.total += acc.total
            merged.count += acc.count
        return merged

    def extract_output(self, acc):
        return acc.total / acc.count if acc.count else 0.0


with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:
    (
        p
        | beam.Create([("a", 1), ("a", 3), ("b", 2)])
        | "Mean" >> beam.CombinePerKey(MeanFn())
        | beam.Map(print)
    )
