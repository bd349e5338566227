"""The fix for BD338: the FlatMap iterates the batch, the pair's second half, so the file
gets the orders one per line: ``o1``, ``o2``, ``o3``."""

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
            | "Unbatch" >> beam.FlatMap(lambda key_batch: key_batch[1])
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
