"""BD305: a function made inside a DoFn travels inside the elements through a GroupByKey.
Elements are encoded with the standard pickle whatever --pickle_library says, and the standard
pickle refers to a function by name: "Can't pickle local object 'Route.process.<locals>.scale'"
on the worker."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Route(beam.DoFn):
    def process(self, row):
        name, factor = row

        def scale(x):
            return x * factor

        yield name, (factor, scale)


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("a", 2), ("b", 3), ("a", 4)])
            | "Route" >> beam.ParDo(Route())
            | "ByName" >> beam.GroupByKey()
            | "Apply" >> beam.MapTuple(lambda k, fs: f"{k}={sorted(f(10) for _, f in fs)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
