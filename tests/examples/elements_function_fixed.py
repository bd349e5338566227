"""Fixed elements_function.py: the elements carry the data the function needs (the factor),
and the function is applied after the shuffle, inside the consuming transform's code, which
travels by value with the pickler."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def scale(x, factor):
    return x * factor


class Route(beam.DoFn):
    def process(self, row):
        name, factor = row
        yield name, factor


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("a", 2), ("b", 3), ("a", 4)])
            | "Route" >> beam.ParDo(Route())
            | "ByName" >> beam.GroupByKey()
            | "Apply" >> beam.MapTuple(lambda k, fs: f"{k}={sorted(scale(10, f) for f in fs)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
