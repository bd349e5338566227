"""Fixed: the id stays text (``str(int(hex_id, 16))``), which any size fits: the worker
writes 18446744073709551361=2 and 7=1."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def to_id(hex_id):
    return str(int(hex_id, 16)), 1


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["ffffffffffffff01", "0000000000000007", "ffffffffffffff01"])
            | "Id" >> beam.Map(to_id)
            | beam.CombinePerKey(sum)
            | beam.MapTuple(lambda device, n: f"{device}={n}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
