"""The fix of elements_shared_accumulator.py: ``create_accumulator`` returns a new list
each time."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Collect(beam.CombineFn):
    def create_accumulator(self):
        return []

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
