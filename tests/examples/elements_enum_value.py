"""BD302: a DoFn emits Enum members of the script as grouped VALUES. Across the shuffle the
worker encodes them with Beam's fallback coder (the standard pickle), which records the enum
by reference to __main__: "Can't pickle <enum 'Level'>: attribute lookup Level on __main__
failed". (As grouping keys they are fine: see clean_script_keys.py.)"""

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
        yield sensor, {"value": value, "level": Level.HIGH if value > 10 else Level.LOW}


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("a", 5), ("a", 50), ("b", 7)])
            | "Classify" >> beam.ParDo(Classify())
            | "BySensor" >> beam.GroupByKey()
            | "Format" >> beam.MapTuple(lambda k, vs: f"{k}={sorted(v['level'].name for v in vs)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
