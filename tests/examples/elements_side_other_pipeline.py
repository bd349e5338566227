"""BD332: the script builds two pipelines, ``p`` and ``pipeline`` (the shape of
professional-services' data_lake_to_mart.py), and joins ``p``'s orders with an ``AsDict`` of
``pipeline``'s accounts. Beam refuses a main input of another pipeline when the step is
applied, not a side input: ``p.run()`` fails translating the join, "KeyError:
'ref_PCollection_PCollection_...'", before any worker starts."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pvalue import AsDict

ACCOUNTS = [("A1", "Acme"), ("A2", "Globex")]
ORDERS = [("A1", 3), ("A2", 1), ("A1", 7)]


def add_account(order, accounts):
    number, quantity = order
    return f"{accounts.get(number, '?')}:{quantity}"


def run(output, argv):
    p = beam.Pipeline(options=PipelineOptions(argv))
    pipeline = beam.Pipeline(options=PipelineOptions(argv))
    accounts = pipeline | "Accounts" >> beam.Create(ACCOUNTS)
    (
        p
        | "Orders" >> beam.Create(ORDERS)
        | "Join" >> beam.Map(add_account, AsDict(accounts))
        | beam.io.WriteToText(output, shard_name_template="")
    )
    p.run().wait_until_finish()


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
