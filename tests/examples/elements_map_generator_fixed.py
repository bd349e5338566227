"""The fix of elements_map_generator.py: Map's function returns the list of words (a Map
emits one element per input: here the list), so the next step counts them."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def words(line):
    return [word.lower() for word in line.split()]


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
