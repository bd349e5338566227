"""BD317, fixed: the rows are keyed first (``Map(lambda row: (row["id"], row))``), so AsDict
gets (key, value) pairs and maps each id to its row."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        users = (
            p
            | "Users"
            >> beam.Create(
                [{"id": 1, "name": "ann", "tier": "gold"}, {"id": 2, "name": "bob", "tier": "free"}]
            )
            | "ById" >> beam.Map(lambda row: (row["id"], row))
        )
        (
            p
            | beam.Create([(1, 9.5), (2, 3.0)])
            | beam.Map(
                lambda order, users: "%s=%s" % (users[order[0]]["name"], order[1]),
                users=beam.pvalue.AsDict(users),
            )
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
