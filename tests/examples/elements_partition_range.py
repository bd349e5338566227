"""BD329: readings are split into 3 partitions by ``reading % 4``, which is 3 for some of
them: there is no partition 3. The worker fails at the first such reading with "ValueError:
PartitionFn specified out-of-bounds partition index: 3 not in [0, 3)"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        low, mid, high = (
            p
            | beam.Create([4, 5, 6, 7, 8])
            | beam.Partition(lambda reading, partitions: reading % 4, 3)
        )
        (
            (low, mid, high)
            | beam.Flatten()
            | beam.Map(str)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
