"""BD323: a DoFn's ``process`` takes the window as a plain parameter. Beam passes what a
parameter's default asks for (``beam.DoFn.WindowParam``); without one it calls
``process(element)`` and the worker fails at the first element: "TypeError:
TagWindow.process() missing 1 required positional argument: 'window'"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms.window import FixedWindows, TimestampedValue


class TagWindow(beam.DoFn):
    def process(self, element, window):
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
