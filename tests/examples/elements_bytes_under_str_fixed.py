"""Fixed: the key is declared bytes, the type key() really returns (BytesCoder)."""

import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def key(word) -> typing.Tuple[bytes, int]:
    return word.strip().lower().encode("utf-8"), 1


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["Cat", "cat ", "dog"])
            | "Key" >> beam.Map(key)
            | "Count" >> beam.GroupByKey()
            | "Show" >> beam.MapTuple(lambda k, ones: f"{k}={sum(ones)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
