"""The fix for ``dill_session_truncates.py``: the input is written in a function, so no file
object stays a global of the session. The job writes ``lima,5`` and ``oslo,17``."""

import os
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

OUTPUT = sys.argv[1]
SALES = os.path.join(os.path.dirname(os.path.abspath(OUTPUT)), "sales.csv")


def export(path):
    with open(path, "w") as f:
        f.write("oslo,10\nlima,5\noslo,7\n")


export(SALES)

with beam.Pipeline(options=PipelineOptions(sys.argv[2:])) as p:
    (
        p
        | beam.io.ReadFromText(SALES)
        | beam.Map(lambda line: (line.split(",")[0], int(line.split(",")[1])))
        | beam.CombinePerKey(sum)
        | beam.MapTuple(lambda store, total: f"{store},{total}")
        | beam.io.WriteToText(OUTPUT, shard_name_template="")
    )
