"""A clean pipeline: DoFn, lambdas, a CombineFn, a side input. Runs on isolated workers."""

import argparse
import json

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

SCALE = 10


class Tokenize(beam.DoFn):
    def __init__(self, separator):
        self.separator = separator

    def process(self, line):
        for word in line.split(self.separator):
            yield word.strip().lower()


class CountChars(beam.CombineFn):
    def create_accumulator(self):
        return 0

    def add_input(self, acc, word):
        return acc + len(word)

    def merge_accumulators(self, accs):
        return sum(accs)

    def extract_output(self, acc):
        return acc * SCALE


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", required=True)
    known, pipeline_args = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(pipeline_args)) as p:
        words = p | beam.Create(["a b", "c d e"]) | beam.ParDo(Tokenize(" "))
        stop = p | "Stop" >> beam.Create(["c"])
        kept = words | beam.Filter(lambda w, stop: w not in stop, beam.pvalue.AsList(stop))
        total = kept | beam.CombineGlobally(CountChars())
        (
            total
            | beam.Map(lambda n: json.dumps({"total": n}))
            | beam.io.WriteToText(known.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
