"""Fixed elements_enum_value.py: the DoFn emits the Enum member's plain value (Level.HIGH.value)
and the consumer turns it back into a member (Level(v)) after the shuffle: plain ints travel
with Beam's own coder, and Level itself travels by value inside the lambda."""

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
        level = Level.HIGH if value > 10 else Level.LOW
        yield sensor, {"value": value, "level": level.value}


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("a", 5), ("a", 50), ("b", 7)])
            | "Classify" >> beam.ParDo(Classify())
            | "BySensor" >> beam.GroupByKey()
            | "Format"
            >> beam.MapTuple(lambda k, vs: f"{k}={sorted(Level(v['level']).name for v in vs)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
