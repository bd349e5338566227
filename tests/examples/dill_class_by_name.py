"""BD302 with dill and --save_main_session: the saved session puts the script's classes
into the worker's __main__, but ``Record = namedtuple("Rec", ...)`` binds the class to
another name than its own. The shuffle's coder pickles the class by its own name,
``__main__.Rec``, which exists nowhere: "Can't pickle <class '__main__.Rec'>: attribute
lookup Rec on __main__ failed", whatever the worker loaded."""

import collections
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

Record = collections.namedtuple("Rec", ["user", "amount"])


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("u1", 3), ("u1", 4), ("u2", 1)])
            | "Wrap" >> beam.MapTuple(lambda user, amount: (user, Record(user, amount)))
            | beam.GroupByKey()
            | "Total" >> beam.MapTuple(lambda user, rs: f"{user}={sum(r.amount for r in rs)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
