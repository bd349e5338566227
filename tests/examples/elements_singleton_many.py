"""BD317: ``AsSingleton`` of a PCollection with two elements. The thresholds were meant to be
reduced to one value first; the worker reads the side input when the Filter first needs it
and fails: "ValueError: PCollection of size 2 with more than one element accessed as a
singleton view"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        limits = (
            p
            | "Limits" >> beam.Create([{"max": 5}, {"max": 7}])
            | "Max" >> beam.Map(lambda row: row["max"])
        )
        (
            p
            | beam.Create([3, 6, 9])
            | beam.Filter(lambda x, limit: x > limit, limit=beam.pvalue.AsSingleton(limits))
            | beam.Map(str)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
