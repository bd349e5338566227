"""The fix of elements_process_returns_dict.py: ``process`` yields the record."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class ToRecord(beam.DoFn):
    def process(self, line):
        name, amount = line.split(",")
        yield {"name": name, "amount": int(amount)}


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["ann,3", "bob,5"])
            | "Parse" >> beam.ParDo(ToRecord())
            | "Show" >> beam.Map(lambda r: f"{r['name']}={r['amount']}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
