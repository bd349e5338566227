"""Fixed elements_main_lookup.py: the handlers are in a table the function reads, which
travels with it."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def handle_click(event):
    return f"click:{event[1]}"


def handle_view(event):
    return f"view:{event[1]}"


HANDLERS = {"click": handle_click, "view": handle_view}


def dispatch(event):
    return HANDLERS[event[0]](event)


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([("click", "a"), ("view", "b")])
            | beam.Map(dispatch)
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
