"""Fixed: the header line is skipped (``skip_header_lines=1``); every line left has an
amount: the worker writes eu=7 and us=5."""

import os
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

ORDERS = "region,amount\neu,3\nus,5\neu,4\n"


def run(output, argv):
    source = os.path.join(os.path.dirname(os.path.abspath(output)), "orders.csv")
    with open(source, "w") as handle:
        handle.write(ORDERS)
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.io.ReadFromText(source, skip_header_lines=1)
            | beam.Map(lambda line: line.split(","))
            | beam.Map(lambda fields: (fields[0], int(fields[1])))
            | beam.CombinePerKey(sum)
            | beam.MapTuple(lambda region, total: f"{region}={total}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
