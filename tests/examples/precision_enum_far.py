"""BD302 far from the shuffle: Enum members of the script are emitted, then five steps that
pass elements through unchanged (Filters, a DoFn that yields its element) sit before the
shuffle. The members reach it and the worker fails ("Can't pickle <enum 'Level'>")."""

import enum
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Level(enum.Enum):
    LOW = 1
    HIGH = 2


class Classify(beam.DoFn):
    def process(self, reading):
        sensor, value = reading
        yield sensor, Level.HIGH if value > 10 else Level.LOW


class Audit(beam.DoFn):
    def process(self, element):
        yield element


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("a", 5), ("a", 50), ("b", 7)])
            | "Classify" >> beam.ParDo(Classify())
            | "Keep1" >> beam.Filter(lambda kv: kv[0] != "x")
            | "Audit1" >> beam.ParDo(Audit())
            | "Keep2" >> beam.Filter(lambda kv: kv[0] != "y")
            | "Audit2" >> beam.ParDo(Audit())
            | "Keep3" >> beam.Filter(lambda kv: kv[0] != "z")
            | "BySensor" >> beam.GroupByKey()
            | "Format" >> beam.MapTuple(lambda k, vs: f"{k}={sorted(v.name for v in vs)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
