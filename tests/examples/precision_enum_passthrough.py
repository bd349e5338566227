"""BD302 through pass-through steps: a DoFn emits Enum members of the script as grouped
values, then a Filter and a DoFn that yields its element unchanged sit before the shuffle.
The members still reach the shuffle: "Can't pickle <enum 'Level'>: attribute lookup Level
on __main__ failed" on the worker."""

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
            | "Keep" >> beam.Filter(lambda kv: kv[0] != "z")
            | "Audit" >> beam.ParDo(Audit())
            | "BySensor" >> beam.GroupByKey()
            | "Format" >> beam.MapTuple(lambda k, vs: f"{k}={sorted(v.name for v in vs)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
