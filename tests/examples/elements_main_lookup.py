"""BD329: each event is handled by the script's function named after its kind, looked up at
run time with ``getattr(sys.modules[__name__], "handle_" + kind)``. On a worker ``__main__``
is Beam's own worker module (dill's --save_main_session aside): "AttributeError: module
'__main__' has no attribute 'handle_click'"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def handle_click(event):
    return f"click:{event[1]}"


def handle_view(event):
    return f"view:{event[1]}"


def dispatch(event):
    return getattr(sys.modules[__name__], "handle_" + event[0])(event)


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
