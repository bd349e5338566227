"""The fix for BD302 on accumulators: the running totals are a (count, amount) tuple, which
Beam's coder encodes without pickling a class of the script: ``ann=4.0`` and ``bob=4.0``."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class MeanAmount(beam.CombineFn):
    def _totals(self, count, amount):
        return (count, amount)

    def create_accumulator(self):
        return self._totals(0, 0.0)

    def add_input(self, totals, amount):
        return self._totals(totals[0] + 1, totals[1] + amount)

    def merge_accumulators(self, accumulators):
        accumulators = list(accumulators)
        count = sum(t[0] for t in accumulators)
        return self._totals(count, sum(t[1] for t in accumulators))

    def extract_output(self, totals):
        return totals[1] / totals[0] if totals[0] else 0.0


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("ann", 3.0), ("bob", 4.0), ("ann", 5.0)])
            | "Mean" >> beam.CombinePerKey(MeanAmount())
            | beam.MapTuple(lambda user, mean: f"{user}={mean}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
