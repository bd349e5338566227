"""BD329: requests are grouped by the time they were made, keyed by Beam's own
``Timestamp.now()``. The deterministic coder of a GroupByKey's keys cannot encode a
``Timestamp``, so the worker fails at the keying step with "Unable to deterministically
encode 'Timestamp(...)'" (apache/beam#24665)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.utils.timestamp import Timestamp


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["era5/01", "era5/02", "era5/03"])
            | "AddTime" >> beam.Map(lambda request: (Timestamp.now(), request))
            | beam.GroupByKey()
            | beam.FlatMap(lambda batch: sorted(batch[1]))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
