"""BD316: a dict's view inside an element. The Map pairs each user with ``d.keys()``, a
``dict_keys`` view; a worker encodes a sample of every output with its coder (and every
element at the GroupByKey), and Beam's fallback coder, the standard pickle, refuses it:
"TypeError: cannot pickle 'dict_keys' object", whatever --pickle_library says. Run in one
process without encoding, the same code works."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([{"user": "u1", "a": 1, "b": 2}, {"user": "u2", "c": 3}])
            | "Fields" >> beam.Map(lambda d: (d["user"], d.keys()))
            | beam.GroupByKey()
            | beam.MapTuple(lambda u, ks: "%s:%s" % (u, ",".join(sorted(k for s in ks for k in s))))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
