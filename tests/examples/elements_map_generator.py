"""BD314: ``beam.Map`` of a function that yields. Map emits what its function returns, here
one generator object per line, not the words; the element counters' size estimate iterates
each generator on the way, so the next step finds it empty and counts 0 words per line, with
no error anywhere (a shuffle would fail on it: "cannot pickle 'generator' object")."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def words(line):
    for word in line.split():
        yield word.lower()


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["To be", "or not to be"])
            | "Words" >> beam.Map(words)
            | "Count" >> beam.Map(lambda found: len(list(found)))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
