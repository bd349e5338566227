"""Clean although the script defines classes that meet the workers:

- ``Parser`` is built inside a DoFn upstream of a GroupByKey but only its results (plain
  tuples) are emitted, so no instance ever meets a coder;
- ``Reading`` is a NamedTuple with RowCoder registered for it, so its instances (Create
  values, and values crossing the shuffle) travel as schema rows, not by reference to
  ``__main__``.
"""

import argparse
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Parser:
    def __init__(self, separator):
        self.separator = separator

    def parse(self, line):
        key, value = line.split(self.separator)
        return key, int(value)


class Reading(typing.NamedTuple):
    sensor: str
    value: int


beam.coders.registry.register_coder(Reading, beam.coders.RowCoder)


class ParseLine(beam.DoFn):
    def process(self, line):
        parser = Parser("=")
        yield parser.parse(line)


def run(argv=None):
    cli = argparse.ArgumentParser()
    cli.add_argument("output")
    known, pipeline_args = cli.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(pipeline_args)) as p:
        parsed = p | "Lines" >> beam.Create(["a=1", "b=2", "a=3"]) | beam.ParDo(ParseLine())
        readings = p | "Readings" >> beam.Create([Reading("a", 10), Reading("b", 20)])
        (
            parsed
            | "Group" >> beam.GroupByKey()
            | "Sum" >> beam.MapTuple(lambda key, values: f"{key} {sum(values)}")
            | beam.io.WriteToText(known.output, shard_name_template="")
        )
        (
            readings
            | "ByValue"
            >> beam.Map(lambda r: (r.value % 2, r)).with_output_types(typing.Tuple[int, Reading])
            | "GroupReadings" >> beam.GroupByKey()
            | "Count" >> beam.MapTuple(lambda key, rs: len(list(rs)))
        )


if __name__ == "__main__":
    run()
