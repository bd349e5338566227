"""BD111 as an error: a PCollection handed to a DoFn's constructor and read in process().
Beam pickles a PCollection as a placeholder, so the DoFn pickles, and the worker fails with
"'_InvalidUnpickledPCollection' object is not iterable" (every pickler, with or without
--save_main_session). Fixed: pitfall_pcollection_in_dofn_fixed.py (a side input)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Enrich(beam.DoFn):
    def __init__(self, rates):
        self.rates = rates

    def process(self, currency):
        yield f"{currency}:{dict(self.rates)[currency]}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        rates = p | "Rates" >> beam.Create([("usd", 1.0), ("eur", 2.0)])
        (
            p
            | beam.Create(["usd", "eur"])
            | beam.ParDo(Enrich(rates))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
