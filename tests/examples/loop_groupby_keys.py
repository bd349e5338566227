"""BD112: a composite key for ``beam.GroupBy`` is built with a dict comprehension,
``{k: lambda m: m[k] for k in keys}`` (as GlobalFishingWatch's pipe-gaps does). Every key
function reads ``k`` when it runs, after the comprehension: both read "year", so the
messages are grouped by (year, year) and the two vessels fall into one group. Nothing fails:
the groups are silently wrong (2 groups of 4 instead of 4 groups of 2)."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

MESSAGES = [
    {"vessel": vessel, "year": year, "t": t}
    for vessel in ("210000001", "412000002")
    for year in (2023, 2024)
    for t in range(2)
]


def key_functions(keys):
    return {k: lambda message: message[k] for k in keys}


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(MESSAGES)
            | beam.GroupBy(**key_functions(["vessel", "year"]))
            | beam.MapTuple(lambda key, group: f"{key[0]}|{key[1]}|{len(list(group))}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
