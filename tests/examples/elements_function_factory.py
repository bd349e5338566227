"""BD305 through a factory: the Map puts ``make_rule(...)`` in each element, a function of the
script that returns a function defined inside it. Elements crossing the GroupByKey are encoded
with the standard pickle whatever --pickle_library says, which refuses local functions: the
worker fails with "Can't pickle local object 'make_rule.<locals>.rule'". Rebuilt from a user
report; the fix is elements_function_fixed.py's (carry data, not the function)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def make_rule(factor):
    def rule(x):
        return x * factor

    return rule


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (p | beam.Create([("a", 1), ("b", 3)])
           | beam.Map(lambda kv: (kv[0], (make_rule(2 if kv[0] == "a" else 10), kv[1])))
           | beam.GroupByKey()
           | beam.MapTuple(lambda k, vs: f"{k}:{sum(f(v) for f, v in vs)}")
           | beam.io.WriteToText(output, shard_name_template=""))  # fmt: skip


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
