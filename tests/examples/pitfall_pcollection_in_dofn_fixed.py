"""pitfall_pcollection_in_dofn.py fixed: the rates reach the DoFn as a side input
(``beam.pvalue.AsDict``), which Beam materialises on the worker. Runs; no BD111."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Enrich(beam.DoFn):
    def process(self, currency, rates):
        yield f"{currency}:{rates[currency]}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        rates = p | "Rates" >> beam.Create([("usd", 1.0), ("eur", 2.0)])
        (
            p
            | beam.Create(["usd", "eur"])
            | beam.ParDo(Enrich(), beam.pvalue.AsDict(rates))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
