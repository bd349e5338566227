"""BD310 on the ``Create`` values themselves: pairs keyed by a ``datetime.date`` go straight
into a ``GroupByKey``. No function shows the key's type, but the values are in the pipeline:
the worker fails with "Unable to deterministically encode '2024-01-01' of type '<class
'datetime.date'>' ..." at the shuffle."""

import datetime
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

SALES = [
    (datetime.date(2024, 1, 1), 10),
    (datetime.date(2024, 1, 1), 5),
    (datetime.date(2024, 1, 2), 3),
]


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(SALES)
            | "Group" >> beam.GroupByKey()
            | "Show" >> beam.MapTuple(lambda day, amounts: f"{day}={sum(amounts)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
