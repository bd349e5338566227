"""The fix of dill_namedtuple_default.py: the call on the worker passes every field
(`unit="C"`), so the worker's `Reading`, rebuilt by dill 0.3.1.1 without its defaults,
still gets all three."""

import argparse
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Reading(typing.NamedTuple):
    sensor: str
    value: float
    unit: str = "C"


def to_line(reading):
    return f"{reading.sensor} {reading.value:.1f}{reading.unit}"


class ParseReading(beam.DoFn):
    def process(self, line):
        sensor, value = line.split(",")
        yield to_line(Reading(sensor, float(value), unit="C"))


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    known, rest = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(rest)) as p:
        (
            p
            | beam.Create(["t1,20.5", "t2,18.25"])
            | beam.ParDo(ParseReading())
            | beam.io.WriteToText(known.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
