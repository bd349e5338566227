"""The fix for ``elements_rowcoder_tagged.py``: the tagged output carries the parsed fields
as a dict, and a Map declared ``.with_output_types(CommonLog)`` makes the ``CommonLog``s, so
their PCollection is typed and takes the registered RowCoder. The job writes ``u1=10`` and
``u2=20``."""

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
            yield beam.pvalue.TaggedOutput("parsed_row", json.loads(line))
        except ValueError:
            yield beam.pvalue.TaggedOutput("unparsed_row", line)


LINES = ['{"user_id": "u1", "num_bytes": 10}', "not json", '{"user_id": "u2", "num_bytes": 20}']


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        rows = (
            p
            | beam.Create(LINES)
            | "ParseJson"
            >> beam.ParDo(ConvertToCommonLogFn()).with_outputs("parsed_row", "unparsed_row")
        )
        (
            rows.parsed_row
            | "ToCommonLog" >> beam.Map(lambda row: CommonLog(**row)).with_output_types(CommonLog)
            | "Bytes" >> beam.Map(lambda log: f"{log.user_id}={log.num_bytes}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
