"""BD329: sales lines are split into (product, amount) pairs, but the amount stays text, and
``CombinePerKey(sum)`` adds text to numbers. The worker fails in the combine with
"TypeError: unsupported operand type(s) for +: 'int' and 'str'"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def to_pair(line):
    product, amount = line.split(",")
    return product, amount


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["tea,2.50", "cake,4.00", "tea,1.25"])
            | beam.Map(to_pair)
            | beam.CombinePerKey(sum)
            | beam.MapTuple(lambda product, total: f"{product}={total:.2f}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
