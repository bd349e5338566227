"""Fixed elements_process_window.py: the window parameter has the default that tells Beam
to pass the element's window (``beam.DoFn.WindowParam``)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms.window import FixedWindows, TimestampedValue


class TagWindow(beam.DoFn):
    def process(self, element, window=beam.DoFn.WindowParam):
        yield f"{element}@{int(window.start)}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([5, 65])
            | beam.Map(lambda t: TimestampedValue(t, t))
            | beam.WindowInto(FixedWindows(60))
            | beam.ParDo(TagWindow())
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
