"""The fix for ``elements_output_tag_undeclared.py``: one constant names the dead-letter tag
in the DoFn and in ``with_outputs``. The job writes the two good rows and the two bad
lines: ``invalid:bo,x``, ``invalid:dee``, ``rows:ann=34``, ``rows:cy=51``."""

import sys

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.options.pipeline_options import PipelineOptions

INVALID = "invalid"


class ValidateRow(beam.DoFn):
    def process(self, line):
        name, _, age = line.partition(",")
        if not age.isdigit():
            yield pvalue.TaggedOutput(INVALID, line)
            return
        yield f"{name}={age}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        results = (
            p
            | beam.Create(["ann,34", "bo,x", "cy,51", "dee"])
            | "Validate" >> beam.ParDo(ValidateRow()).with_outputs(INVALID, main="rows")
        )
        rows = results.rows | "Rows" >> beam.Map(lambda row: f"rows:{row}")
        bad = results[INVALID] | "Bad" >> beam.Map(lambda line: f"invalid:{line}")
        (rows, bad) | beam.Flatten() | beam.io.WriteToText(output, shard_name_template="")


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
