"""BD105 under dill with ``--save_main_session``: the script writes its input at module level
with ``with open(path, "w") as f:`` and the closed handle ``f`` stays a global (the shape of
uqfoundation/dill#552). dill pickles it with its path and mode and reopens it, mode "w",
whenever the session loads: Beam's save loads it back on this machine, which empties the
file before the job reads it, and so does every worker. The job succeeds and writes
nothing."""

import os
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

OUTPUT = sys.argv[1]
SALES = os.path.join(os.path.dirname(os.path.abspath(OUTPUT)), "sales.csv")

with open(SALES, "w") as f:
    f.write("oslo,10\nlima,5\noslo,7\n")

with beam.Pipeline(options=PipelineOptions(sys.argv[2:])) as p:
    (
        p
        | beam.io.ReadFromText(SALES)
        | beam.Map(lambda line: (line.split(",")[0], int(line.split(",")[1])))
        | beam.CombinePerKey(sum)
        | beam.MapTuple(lambda store, total: f"{store},{total}")
        | beam.io.WriteToText(OUTPUT, shard_name_template="")
    )
