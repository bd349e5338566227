"""Instances of a script class emitted by a DoFn and consumed in the same fused stage, with no
shuffle in between. A worker still encodes a sample of every output for its element counters
(opcounters.do_sample) with the output's coder, Beam's pickling fallback here, which pickles
the class by reference to __main__: "Can't pickle <class '__main__.SensorReading'>: attribute lookup
SensorReading on __main__ failed [while running 'Parse']". Runs on the DirectRunner in-process,
where __main__ is this script."""

import dataclasses
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


@dataclasses.dataclass
class SensorReading:
    sensor: str
    value: float


class Parse(beam.DoFn):
    def process(self, line):
        sensor, value = line.split(",")
        yield SensorReading(sensor, float(value))


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a,1.5", "b,2.0"])
            | "Parse" >> beam.ParDo(Parse())
            | "Format" >> beam.Map(lambda r: f"{r.sensor}={r.value * 2}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
