"""BD333: a validation DoFn sends bad lines to a dead-letter output tagged ``"invalid"``, but
the ParDo declares ``with_outputs("invalid_rows", main="rows")`` (the shape of
apache/beam#19437). The worker gives the undeclared tag a receiver with no consumer, so the
bad lines vanish, and ``invalid_rows``, which the script writes, is always empty: the job
succeeds and writes ``rows:ann=34``, ``rows:cy=51`` and no ``invalid:`` line at all."""

import sys

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.options.pipeline_options import PipelineOptions


class ValidateRow(beam.DoFn):
    INVALID = "invalid"

    def process(self, line):
        name, _, age = line.partition(",")
        if not age.isdigit():
            yield pvalue.TaggedOutput(self.INVALID, line)
            return
        yield f"{name}={age}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        results = (
            p
            | beam.Create(["ann,34", "bo,x", "cy,51", "dee"])
            | "Validate" >> beam.ParDo(ValidateRow()).with_outputs("invalid_rows", main="rows")
        )
        rows = results.rows | "Rows" >> beam.Map(lambda row: f"rows:{row}")
        bad = results.invalid_rows | "Bad" >> beam.Map(lambda line: f"invalid:{line}")
        (rows, bad) | beam.Flatten() | beam.io.WriteToText(output, shard_name_template="")


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
