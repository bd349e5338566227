"""Fixed elements_side_lookup.py: a country the table does not have is named "unknown"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def with_country(order, countries):
    return f"{order['id']}={countries.get(order['country'], 'unknown')}"


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
