"""Clean with every pickler, with or without --save_main_session: functions import what
they use and read no script globals, so nothing depends on the worker's __main__."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def to_record(word):
    import json

    return json.dumps({"word": word, "length": len(word)})


class Upper(beam.DoFn):
    def process(self, word):
        yield word.upper()


def run(argv):
    output = argv[0]
    with beam.Pipeline(options=PipelineOptions(argv[1:])) as p:
        (
            p
            | beam.Create(["alpha", "beta"])
            | beam.ParDo(Upper())
            | beam.Map(to_record)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1:])
