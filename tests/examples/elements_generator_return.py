"""BD331: a DoFn "explodes" the records that carry a list of readings with ``return [...]``
and passes the others on with ``yield`` (the shape of apache/beam#22969). ``yield`` makes
``process`` a generator function, so the returned list goes into ``StopIteration`` and Beam,
which only iterates, drops it: the job writes ``a=1`` and ``c=5`` and loses ``b1=2``,
``b2=3`` and ``b3=4``, with no error anywhere."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Explode(beam.DoFn):
    def process(self, record):
        name, readings = record
        if isinstance(readings, list):
            return [(f"{name}{i}", value) for i, value in enumerate(readings, 1)]
        yield record


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("a", 1), ("b", [2, 3, 4]), ("c", 5)])
            | "Explode" >> beam.ParDo(Explode())
            | "Show" >> beam.MapTuple(lambda name, value: f"{name}={value}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
