"""The fix for elements_emitted_no_shuffle.py: the DoFn emits plain values (a tuple) and the
consumer builds what it needs; a helper object of a script class made and used inside a
DoFn never meets a coder, so it is fine."""

import dataclasses
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


@dataclasses.dataclass
class SensorReading:
    sensor: str
    value: float


def parse(line):
    sensor, value = line.split(",")
    return SensorReading(sensor, float(value))  # a helper: its result is not emitted as is


class Parse(beam.DoFn):
    def process(self, line):
        reading = parse(line)
        yield reading.sensor, reading.value


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a,1.5", "b,2.0"])
            | "Parse" >> beam.ParDo(Parse())
            | "Format" >> beam.MapTuple(lambda sensor, value: f"{sensor}={value * 2}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
