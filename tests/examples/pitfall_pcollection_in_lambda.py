"""BD111 as an error: a Filter's lambda tests each event against a PCollection it closes
over (``e in allowed``), as if it were a list. Beam pickles the PCollection as a placeholder,
so the lambda pickles, and the worker fails with "argument of type
'_InvalidUnpickledPCollection' is not iterable". Fixed: pitfall_pcollection_in_lambda_fixed.py
(a side input)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        allowed = p | "Allowed" >> beam.Create(["a", "c"])
        (
            p
            | "Events" >> beam.Create(["a", "b", "c"])
            | "Keep" >> beam.Filter(lambda e: e in allowed)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
