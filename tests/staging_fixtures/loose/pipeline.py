"""A loose pipeline: a script, a local package next to it, a third-party dependency."""

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

import mylib


class Shout(beam.DoFn):
    def process(self, line):
        yield mylib.shout(line)


def main(argv=None):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        _ = p | beam.Create(["a", "b"]) | beam.ParDo(Shout()) | beam.Map(mylib.describe)


if __name__ == "__main__":
    main()
