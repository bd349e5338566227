"""BD308 without a shuffle: Normalize.process() is declared to yield str but yields bytes;
the worker encodes a transform's output with the declared type's coder (StrUtf8Coder) to
estimate its size, so the job fails with "AttributeError: 'bytes' object has no attribute
'encode'" though nothing groups the elements."""

import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Normalize(beam.DoFn):
    def process(self, line) -> typing.Iterable[str]:
        yield line.strip().lower().encode("utf-8")


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["Cat ", "dog"])
            | "Normalize" >> beam.ParDo(Normalize())
            | "Show" >> beam.Map(repr)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
