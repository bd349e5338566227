"""BD309: beam.Map(print) in the middle of a chain, to look at the elements: print returns
None and Map emits what its function returns, so WriteToText writes the text "None" once per
element (two lines "None" here instead of A and B). No error anywhere."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a", "b"])
            | "Upper" >> beam.Map(str.upper)
            | "Look" >> beam.Map(print)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
