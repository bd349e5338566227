"""The fix of elements_enum_helper.py: the element carries the member's name, a str, and the
consumers compare names; ``Severity`` itself stays inside the functions, where it travels by
value with them."""

import enum
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Severity(enum.Enum):
    OK = 0
    WARN = 1
    FAIL = 2


def classify(code):
    if code < 300:
        return Severity.OK
    if code < 500:
        return Severity.WARN
    return Severity.FAIL


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([200, 404, 503, 201])
            | "Classify" >> beam.Map(lambda c: (c, classify(c).name))
            | "NotOk" >> beam.Filter(lambda pair: pair[1] != Severity.OK.name)
            | "Show" >> beam.MapTuple(lambda c, s: f"{c} {s}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
