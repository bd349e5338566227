"""A `typing.NamedTuple` with a field default, made on the worker without that field. dill
before 0.3.5 (Beam's `--pickle_library=dill`, dill 0.3.1.1, the default pickler of Beam 2.61
to 2.64) saves a NamedTuple class by its name and fields only, without the defaults: with
`--save_main_session` the worker's `Reading` is the session's, and `Reading(sensor, value)`
fails there with "TypeError: Reading.__new__() missing 1 required positional argument:
'unit'" (BD312). dill 0.3.5+ (`dill_unsafe`) and cloudpickle keep the defaults; without the
session dill finds no `Reading` at all (BD201)."""

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
        yield to_line(Reading(sensor, float(value)))


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
