"""The fix of elements_lossy_int_table.py: the declared type says what the table holds
(``Tuple[str, float]``), so Beam picks the float coder and the sums are right."""

import sys
from typing import Tuple

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

WEIGHTS = {"click": 1.5, "view": 0.25}


def score(event: str) -> Tuple[str, float]:
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
