"""The fix for ``elements_side_other_pipeline.py``: one pipeline builds both the orders and
the accounts it joins them with. The job writes ``Acme:3``, ``Acme:7`` and ``Globex:1``."""

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
    accounts = p | "Accounts" >> beam.Create(ACCOUNTS)
    (
        p
        | "Orders" >> beam.Create(ORDERS)
        | "Join" >> beam.Map(add_account, AsDict(accounts))
        | beam.io.WriteToText(output, shard_name_template="")
    )
    p.run().wait_until_finish()


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
