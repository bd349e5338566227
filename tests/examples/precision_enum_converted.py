"""BD302 even when converted before the shuffle (proven on isolated workers): a DoFn emits
Enum members of the script and a later step turns them into plain values before the
shuffle, yet the worker still fails at the emitting step: Beam's output counters sample
element sizes by ENCODING the emitted elements with the PCollection's coder
(opcounters.do_sample), which pickles the enum by reference to __main__."""

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


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("a", 5), ("a", 50), ("b", 7)])
            | "Classify" >> beam.ParDo(Classify())
            | "ToValue" >> beam.MapTuple(lambda sensor, lvl: (sensor, lvl.value))
            | "Keep" >> beam.Filter(lambda kv: kv[1] > 0)
            | "BySensor" >> beam.GroupByKey()
            | "Format" >> beam.MapTuple(lambda k, vs: f"{k}={sorted(vs)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
