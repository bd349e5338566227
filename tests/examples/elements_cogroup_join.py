"""BD329: customers' emails and orders are joined with ``CoGroupByKey``, and each joined
record takes the first email (``emails[0]``). One customer ordered without leaving an email,
so that list is empty: the worker fails at that key with "IndexError: list index out of
range" (the classic left-join surprise)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def to_line(joined):
    customer, grouped = joined
    email = grouped["emails"][0]
    total = sum(grouped["orders"])
    return f"{customer},{email},{total}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        emails = p | "Emails" >> beam.Create([("ann", "ann@example.com"), ("bo", "bo@example.com")])
        orders = p | "Orders" >> beam.Create([("ann", 12), ("bo", 5), ("cy", 7), ("ann", 3)])
        (
            {"emails": emails, "orders": orders}
            | beam.CoGroupByKey()
            | beam.Map(to_line)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
