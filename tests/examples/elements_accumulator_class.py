"""BD302: a CombineFn keeps its running totals in an object of a class of the script, made
by a helper method of its own. Beam combines each bundle before the shuffle and encodes the
accumulators with its pickling fallback, which pickles the class by reference to the
worker's ``__main__``, where it is not: "Can't pickle <class '__main__.Totals'>: attribute
lookup Totals on __main__ failed" (the shape of pangeo-forge-recipes#616)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Totals:
    def __init__(self, count=0, amount=0.0):
        self.count = count
        self.amount = amount


class MeanAmount(beam.CombineFn):
    def _totals(self, count, amount):
        return Totals(count, amount)

    def create_accumulator(self):
        return self._totals(0, 0.0)

    def add_input(self, totals, amount):
        return self._totals(totals.count + 1, totals.amount + amount)

    def merge_accumulators(self, accumulators):
        accumulators = list(accumulators)
        count = sum(t.count for t in accumulators)
        return self._totals(count, sum(t.amount for t in accumulators))

    def extract_output(self, totals):
        return totals.amount / totals.count if totals.count else 0.0


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
