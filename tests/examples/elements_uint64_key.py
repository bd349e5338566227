"""BD329: device ids are 64-bit unsigned hex strings, counted per id with ``int(s, 16)`` as
the key. Beam infers ``Tuple[int, int]`` for the step's output and encodes it with
``VarIntCoder``, limited to 64-bit signed integers: the worker fails with "OverflowError:
Cannot estimate size for integer value '18446744073709551361'" (apache/beam#39048)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def to_id(hex_id):
    return int(hex_id, 16), 1


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
