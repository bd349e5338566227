"""BD338: the orders get a dummy key to be sent in batches of 30, and ``FlatMap(lambda x: x)``
is meant to go back to single orders. FlatMap iterates the (key, batch) pair instead, so the
file gets the key and the batch as two lines, ``None`` and ``['o1', 'o2', 'o3']``; nothing
fails (apache/beam#28716)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["o1", "o2", "o3"])
            | "DummyKey" >> beam.Map(lambda order: (None, order))
            | "Batches" >> beam.GroupIntoBatches(30)
            | "Unbatch" >> beam.FlatMap(lambda x: x)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
