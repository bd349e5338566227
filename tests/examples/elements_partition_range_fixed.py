"""Fixed: the partition is ``reading % partitions``, from 0 to 2: the worker writes every
reading."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        low, mid, high = (
            p
            | beam.Create([4, 5, 6, 7, 8])
            | beam.Partition(lambda reading, partitions: reading % partitions, 3)
        )
        (
            (low, mid, high)
            | beam.Flatten()
            | beam.Map(str)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
