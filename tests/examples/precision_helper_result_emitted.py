"""precision_helper_result_used.py's opposite: the DoFn emits what its helper method returns,
which is what a function of the script builds (`self.build(line)` -> `parse(line)` ->
`Stamp(line)`), so the instances reach the shuffle and the worker fails with "Can't pickle
<class '__main__.Stamp'>: attribute lookup Stamp on __main__ failed" (BD302)."""

import argparse
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Stamp:
    def __init__(self, text):
        self.text = text


def parse(line):
    return Stamp(line)


class Keyed(beam.DoFn):
    def build(self, line):
        return parse(line)

    def process(self, line):
        rec = self.build(line)
        yield line[:10], rec


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    known, rest = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(rest)) as p:
        (
            p
            | beam.Create(["2024-01-02T10:00", "2024-01-03T09:00"])
            | beam.ParDo(Keyed())
            | beam.GroupByKey()
            | beam.MapTuple(lambda d, rs: f"{d}:{len(list(rs))}")
            | beam.io.WriteToText(known.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
