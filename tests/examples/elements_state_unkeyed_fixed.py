"""The fix for BD339: the words are keyed by themselves first, so each word's state counts
it: ``cat:1``, ``the:1`` and ``the:2``."""

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
        yield f"{element[0]}:{count}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["the cat the"])
            | "Words" >> beam.ParDo(SplitWords())
            | "Key" >> beam.Map(lambda word: (word, 1))
            | "Count" >> beam.ParDo(CountSeen())
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
