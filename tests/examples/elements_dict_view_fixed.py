"""BD316, fixed: the element holds a list of the keys (``sorted(d)``), which every coder
carries. A FlatMap may return a view: Beam iterates it and emits its items, each a plain
pair, so ``d.items()`` there is fine."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        rows = p | beam.Create([{"user": "u1", "a": 1, "b": 2}, {"user": "u2", "c": 3}])
        fields = (
            rows
            | "Fields" >> beam.Map(lambda d: (d["user"], sorted(d)))
            | beam.GroupByKey()
            | beam.MapTuple(lambda u, ks: "%s:%s" % (u, ",".join(sorted(k for s in ks for k in s))))
        )
        counts = (
            rows
            | "Items" >> beam.FlatMap(lambda d: d.items())
            | beam.combiners.Count.PerKey()
            | beam.MapTuple(lambda field, n: "%s=%d" % (field, n))
        )
        (fields, counts) | beam.Flatten() | beam.io.WriteToText(output, shard_name_template="")


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
