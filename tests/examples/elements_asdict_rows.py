"""BD317: ``AsDict`` of rows. AsDict builds ``dict(elements)``, so each element must be a
(key, value) pair; a row of three fields is read as a sequence of its three field names and
the worker fails: "ValueError: dictionary update sequence element #0 has length 3; 2 is
required"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        users = p | "Users" >> beam.Create(
            [{"id": 1, "name": "ann", "tier": "gold"}, {"id": 2, "name": "bob", "tier": "free"}]
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
