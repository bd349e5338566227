"""Fixed elements_timestamp_key: the key is the time in whole seconds, a number the key coder
encodes."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.utils.timestamp import Timestamp


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["era5/01", "era5/02", "era5/03"])
            | "AddTime" >> beam.Map(lambda request: (Timestamp.now().micros // 10**6, request))
            | beam.GroupByKey()
            | beam.FlatMap(lambda batch: sorted(batch[1]))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
