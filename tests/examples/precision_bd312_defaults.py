"""BD312 precision for lost field defaults (dill 0.3.1.1): every call a worker runs passes
the defaulted field, or spreads a full row (`Reading(*parts)`, `Reading(**row)`), whose
length the code does not show; a call that leaves `unit` out runs only in `__init__`,
while the pipeline is built. No BD312: the job runs under every pickler."""

import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Reading(typing.NamedTuple):
    sensor: str
    value: float
    unit: str = "C"


class Parse(beam.DoFn):
    def __init__(self):
        self.sample = Reading("probe", 0.0)  # construction: the script's class

    def process(self, line):
        parts = line.split(",")
        first = Reading(*parts)
        row = dict(zip(("sensor", "value", "unit"), parts))
        second = Reading(**row)
        third = Reading(parts[0], float(parts[1]), parts[2])
        yield f"{first.sensor} {second.unit} {third.value:.1f} {self.sample.sensor}"


if __name__ == "__main__":
    out, rest = sys.argv[1], sys.argv[2:]
    with beam.Pipeline(options=PipelineOptions(rest)) as p:
        (
            p
            | beam.Create(["t1,20.5,C", "t2,18.25,F"])
            | beam.ParDo(Parse())
            | beam.io.WriteToText(out + "/out")
        )
