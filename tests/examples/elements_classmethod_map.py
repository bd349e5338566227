"""`beam.Map(LogLine.from_raw)`: a classmethod of a script NamedTuple builds the elements
(`cls(...)`). With cloudpickle the worker encodes a sample of every output for its counters
with the pickling fallback, which refers to the class by name: "Can't pickle <class
'__main__.LogLine'>: attribute lookup LogLine on __main__ failed" (BD302; it was missed while
only functions that call the class by its global name counted, m17 n10)."""

import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class LogLine(typing.NamedTuple):
    level: str
    msg: str

    @classmethod
    def from_raw(cls, raw):
        lvl, _, msg = raw.partition(" ")
        return cls(lvl.strip("[]"), msg)


def run(argv):
    out, rest = argv[0], argv[1:]
    with beam.Pipeline(options=PipelineOptions(rest)) as p:
        (
            p
            | beam.Create(["[INFO] started", "[WARN] slow"])
            | beam.Map(LogLine.from_raw)
            | beam.Map(lambda l: l.level + "/" + l.msg)
            | beam.io.WriteToText(out, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1:])
