"""BD302 for an Enum a helper returns: the lambda emits ``(code, classify(code))``, and
``classify`` returns members of ``Severity``, a class of the script (m18 c08). No shuffle,
yet the worker encodes a sample of each output for its element counters with Beam's pickling
fallback, which refers to the class by name in ``__main__``: "Can't pickle <enum
'Severity'>: attribute lookup Severity on __main__ failed [while running 'Classify']"."""

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
            | "Classify" >> beam.Map(lambda c: (c, classify(c)))
            | "NotOk" >> beam.Filter(lambda pair: pair[1] is not Severity.OK)
            | "Show" >> beam.MapTuple(lambda c, s: f"{c} {s.name}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
