"""BD321: one input of a CoGroupByKey is never keyed. Its elements are "name:phone" strings,
and CoGroupByKey's tagging step unpacks each element into a key and a value: the worker
fails with "TypeError: ...add_tag.<locals>.<lambda>() takes 2 positional arguments but 7
were given". (Before a GroupByKey, Beam's type check stops this while the pipeline is built.)"""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        emails = p | "Emails" >> beam.Create([("ann", "a@x"), ("bob", "b@x")])
        phones = p | "Phones" >> beam.Create(["ann:111", "bob:222"])
        (
            {"email": emails, "phone": phones}
            | beam.CoGroupByKey()
            | beam.MapTuple(lambda k, g: "%s %s %s" % (k, list(g["email"]), list(g["phone"])))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
