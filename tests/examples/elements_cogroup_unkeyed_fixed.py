"""BD321, fixed: the phones are keyed by name first (``tuple(line.split(":", 1))``)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        emails = p | "Emails" >> beam.Create([("ann", "a@x"), ("bob", "b@x")])
        phones = (
            p
            | "Phones" >> beam.Create(["ann:111", "bob:222"])
            | "ByName" >> beam.Map(lambda line: tuple(line.split(":", 1)))
        )
        (
            {"email": emails, "phone": phones}
            | beam.CoGroupByKey()
            | beam.MapTuple(lambda k, g: "%s %s %s" % (k, list(g["email"]), list(g["phone"])))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
