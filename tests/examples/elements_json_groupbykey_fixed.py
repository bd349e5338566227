"""The fix for BD335: each parsed event is keyed by its user before the GroupByKey, so the
groups are the users': ``ann=2`` and ``bob=1``."""

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
            | "KeyByUser" >> beam.Map(lambda event: (event["user"], event))
            | "PerUser" >> beam.GroupByKey()
            | beam.MapTuple(lambda user, events: f"{user}={len(list(events))}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
