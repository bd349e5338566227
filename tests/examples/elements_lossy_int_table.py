"""BD306 where the float comes from a table: ``score()`` is declared to return
``Tuple[str, int]`` and returns ``WEIGHTS[kind]``, and every weight is a float (m18 f11).
Beam picks VarIntCoder from the declared type and the shuffle truncates each score
silently: u1=1 instead of u1=1.75 (1.5 and 0.25 arrive as 1 and 0)."""

import sys
from typing import Tuple

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

WEIGHTS = {"click": 1.5, "view": 0.25}


def score(event: str) -> Tuple[str, int]:
    user, kind = event.split(":")
    return user, WEIGHTS[kind]


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["u1:click", "u1:view", "u2:view"])
            | "Score" >> beam.Map(score)
            | "ByUser" >> beam.GroupByKey()
            | "Sum" >> beam.MapTuple(lambda user, scores: f"{user}={sum(scores)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
