"""The fix for ``elements_generator_return.py``: ``yield from`` the exploded records, then a
bare ``return`` to stop. Every record reaches the output: ``a=1``, ``b1=2``, ``b2=3``,
``b3=4``, ``c=5``. A bare ``return`` (or ``return None``) in a generator loses nothing, so
check says nothing here."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Explode(beam.DoFn):
    def process(self, record):
        name, readings = record
        if isinstance(readings, list):
            yield from [(f"{name}{i}", value) for i, value in enumerate(readings, 1)]
            return None
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
