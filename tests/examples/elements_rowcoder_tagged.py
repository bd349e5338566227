"""BD302 where a registered coder is not used for a tagged output (the dead-letter pipeline of
Google's Dataflow labs, training-data-analyst): the DoFn sends each parsed ``CommonLog`` to
the ``parsed_row`` output and each unreadable line to ``unparsed_row``, and the step is
declared ``.with_outputs(...).with_output_types(CommonLog)``. That type is not given to the
tagged outputs: ``parsed_row`` is untyped, so the worker encodes its outputs with Beam's
pickling fallback and fails at once, "Can't pickle <class '__main__.CommonLog'>: attribute
lookup CommonLog on __main__ failed"."""

import json
import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class CommonLog(typing.NamedTuple):
    user_id: str
    num_bytes: int


beam.coders.registry.register_coder(CommonLog, beam.coders.RowCoder)


class ConvertToCommonLogFn(beam.DoFn):
    def process(self, line):
        try:
            row = json.loads(line)
            yield beam.pvalue.TaggedOutput("parsed_row", CommonLog(**row))
        except ValueError:
            yield beam.pvalue.TaggedOutput("unparsed_row", line)


LINES = ['{"user_id": "u1", "num_bytes": 10}', "not json", '{"user_id": "u2", "num_bytes": 20}']


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        rows = (
            p
            | beam.Create(LINES)
            | "ParseJson"
            >> beam.ParDo(ConvertToCommonLogFn())
            .with_outputs("parsed_row", "unparsed_row")
            .with_output_types(CommonLog)
        )
        (
            rows.parsed_row
            | "Bytes" >> beam.Map(lambda log: f"{log.user_id}={log.num_bytes}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
