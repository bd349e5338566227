"""Clean (BD206 precision): module-level state of shipped modules differs from a bare fresh
import only in ways the workers reproduce themselves: a registry filled at import by a
plugin module the DoFn's own module imports, a memo (also with tuple keys), a lazy global, a class-level cache and an
lru_cache the script warms while
building the pipeline (the DoFn fills them on first use on a worker), a logger level. The
real run writes the same answers as here, so check must give no error."""

import logging
import sys

import apache_beam as beam
import precision_state_lib as lib
from apache_beam.options.pipeline_options import PipelineOptions
from precision_state_fns import Normalize


def run(output, argv):
    lib.log.setLevel(logging.DEBUG)
    lib.lookup(" warm ")  # fills the memo at launch
    lib.norm("WARM")  # fills the lru_cache at launch
    lib.get_model()  # loads the lazy global at launch
    lib.pair("x", "y")  # fills a memo with tuple keys
    lib._PAIRS["x", 0] = "x"  # the DoFn's inline memo, warmed at launch
    lib.Cache.get("x")  # fills a class-level cache
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([" a ", "b"])
            | "Normalize" >> beam.ParDo(Normalize())
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
