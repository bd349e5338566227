"""BD305: each sale carries how to convert it, ``functools.partial(convert, rate)``, through
a GroupByKey. The shuffle encodes the elements with the standard pickle, which pickles the
partial's function by name; the worker's ``__main__`` is Beam's: "Can't pickle <function
convert at 0x...>: attribute lookup convert on __main__ failed"."""

import functools
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
            | beam.MapTuple(lambda c, a: (c, (a, functools.partial(convert, RATES[c]))))
            | beam.GroupByKey()
            | beam.MapTuple(lambda c, sales: f"{c}={sum(to(a) for a, to in sales):.1f}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
