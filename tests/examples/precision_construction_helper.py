"""Construction-only code (review of this change): ``load_thresholds`` runs only in
``__init__``, while the pipeline is built, so its import of a module the worker lacks
(``pytest``) never runs there. No BD401 as an error, no BD201."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def load_thresholds(path=None):
    import pytest  # only used while the pipeline is built

    return {"a": 1, "b": 2, "_v": len(pytest.__name__)}


class Flag(beam.DoFn):
    def __init__(self):
        self.thresholds = load_thresholds()

    def process(self, x):
        yield f"{x}={self.thresholds.get(x, 0)}"


if __name__ == "__main__":
    output, argv = sys.argv[1], sys.argv[2:]
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a", "b", "c"])
            | beam.ParDo(Flag())
            | beam.io.WriteToText(output, shard_name_template="")
        )
