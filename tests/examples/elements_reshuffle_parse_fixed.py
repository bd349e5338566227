"""Fixed elements_reshuffle_parse: a reading that is not a number is dropped before the
parse (a dead-letter output would keep it)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def parse(line):
    sensor, value = line.split(":")
    return sensor, float(value)


def is_number(line):
    try:
        float(line.split(":")[1])
    except ValueError:
        return False
    return True


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["s1:20.5", "s2:n/a", "s3:19.0"])
            | beam.Reshuffle()
            | beam.Filter(is_number)
            | beam.Map(parse)
            | beam.MapTuple(lambda sensor, value: f"{sensor}={value:.1f}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
