"""BD335: the events are read as JSON and grouped straight away. A GroupByKey reads each
element as a (key, value) pair, and the worker's pair coder iterates the dict, which gives
its three keys: "ValueError: Number of components does not match number of coders" at the
step that parsed them."""

import json
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

EVENTS = [
    '{"user": "ann", "action": "click", "ms": 120}',
    '{"user": "bob", "action": "view", "ms": 80}',
    '{"user": "ann", "action": "view", "ms": 40}',
]


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(EVENTS)
            | "Parse" >> beam.Map(json.loads)
            | "PerUser" >> beam.GroupByKey()
            | beam.MapTuple(lambda user, events: f"{user}={len(list(events))}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
