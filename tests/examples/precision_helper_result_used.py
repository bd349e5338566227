"""A helper of the script returns an instance of a script class, and the Map emits only what
a method of it gives (`parse(line).date()`, a str): no instance reaches a coder, and it runs.
BD302 must not be reported (it was, when every class any reached helper builds counted as
emitted; found by an independent review, a12_date_method_custom)."""

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Stamp:
    def __init__(self, text):
        self.text = text

    def date(self):
        return self.text[:10]


def parse(line):
    return Stamp(line)


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    known, rest = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(rest)) as p:
        (
            p
            | beam.Create(["2024-01-02T10:00", "2024-01-02T11:00", "2024-01-03T09:00"])
            | beam.Map(lambda line: (parse(line).date(), 1))
            | beam.CombinePerKey(sum)
            | beam.MapTuple(lambda d, n: f"{d}:{n}")
            | beam.io.WriteToText(known.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
