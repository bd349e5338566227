"""BD319, fixed: ``add_input`` returns the accumulator it changed, as Beam expects."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Collect(beam.CombineFn):
    def create_accumulator(self):
        return []

    def add_input(self, acc, x):
        acc.append(x)
        return acc

    def merge_accumulators(self, accs):
        return [x for acc in accs for x in acc]

    def extract_output(self, acc):
        return sorted(acc)


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("a", 3), ("a", 1), ("b", 2)])
            | beam.CombinePerKey(Collect())
            | beam.MapTuple(lambda k, v: "%s=%s" % (k, v))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
