"""Fixed elements_combine_text.py: the amount is a number before it is summed."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def to_pair(line):
    product, amount = line.split(",")
    return product, float(amount)


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
