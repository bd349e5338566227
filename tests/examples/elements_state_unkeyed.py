"""BD339: a DoFn counts words with a state cell, but it is applied to the words themselves.
Beam keeps state per key, so the worker unpacks each element into a key and a value before
``process`` runs, and a word fails there: "ValueError: Input value to a stateful DoFn or
KeyParam must be a KV tuple; instead, got 'the'." (apache/beam#20520)."""

import sys

import apache_beam as beam
from apache_beam.coders import VarIntCoder
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec


class SplitWords(beam.DoFn):
    def process(self, line):
        return line.split()


class CountSeen(beam.DoFn):
    SEEN = ReadModifyWriteStateSpec("seen", VarIntCoder())

    def process(self, element, seen=beam.DoFn.StateParam(SEEN)):
        count = (seen.read() or 0) + 1
        seen.write(count)
        yield f"{element}:{count}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["the cat the"])
            | "Words" >> beam.ParDo(SplitWords())
            | "Count" >> beam.ParDo(CountSeen())
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
