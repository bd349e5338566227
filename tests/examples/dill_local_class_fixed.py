"""The fix of dill_local_class.py: the class is defined at the top of the script, where the
saved session holds it and pickle finds it by name."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("a", 1, 2), ("a", 3, 4), ("b", 5, 6)])
            | "Points" >> beam.Map(lambda t: (t[0], Point(t[1], t[2])))
            | beam.GroupByKey()
            | "Sum" >> beam.MapTuple(lambda k, ps: f"{k}={sum(pt.x + pt.y for pt in ps)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
