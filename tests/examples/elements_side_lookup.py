"""BD329: orders are joined with a small table of country names, passed as a side input
(``AsDict`` of a ``Create``); one order's country is not in the table. The worker fails at
that order with "KeyError: 'BR'"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def with_country(order, countries):
    return f"{order['id']}={countries[order['country']]}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        countries = p | "countries" >> beam.Create([("DE", "Germany"), ("FR", "France")])
        (
            p
            | "orders"
            >> beam.Create(
                [{"id": 1, "country": "DE"}, {"id": 2, "country": "BR"}, {"id": 3, "country": "FR"}]
            )
            | beam.Map(with_country, countries=beam.pvalue.AsDict(countries))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
