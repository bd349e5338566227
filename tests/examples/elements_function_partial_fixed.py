"""Fixed elements_function_partial.py: the elements carry the rate, a number; the function
stays in the code that runs on the worker."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

RATES = {"us": 1.0, "de": 1.1}


def convert(rate, amount):
    return rate * amount


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("us", 10.0), ("de", 20.0), ("us", 5.0)])
            | beam.MapTuple(lambda c, a: (c, (a, RATES[c])))
            | beam.GroupByKey()
            | beam.MapTuple(lambda c, sales: f"{c}={sum(convert(r, a) for a, r in sales):.1f}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
