"""The fix of dill_class_by_name.py: the class has the name it is bound to, so the
session's __main__.Record is the class the coder looks up."""

import collections
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

Record = collections.namedtuple("Record", ["user", "amount"])


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("u1", 3), ("u1", 4), ("u2", 1)])
            | "Wrap" >> beam.MapTuple(lambda user, amount: (user, Record(user, amount)))
            | beam.GroupByKey()
            | "Total" >> beam.MapTuple(lambda user, rs: f"{user}={sum(r.amount for r in rs)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
