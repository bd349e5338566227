"""BD329: readings are spread over workers with ``Reshuffle`` before they are parsed, and one
reading is "n/a": ``float`` fails on it after the shuffle, with "ValueError: could not
convert string to float: 'n/a'"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def parse(line):
    sensor, value = line.split(":")
    return sensor, float(value)


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["s1:20.5", "s2:n/a", "s3:19.0"])
            | beam.Reshuffle()
            | beam.Map(parse)
            | beam.MapTuple(lambda sensor, value: f"{sensor}={value:.1f}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
