"""BD206 (kept): the script imports precision_state_plugins, which registers 'upper' in
precision_state_lib.RULES, but the DoFn's module does not import it, so a worker (which
imports only what unpickling the DoFn needs) never has the rule: silently not applied."""

import sys

import apache_beam as beam
import precision_state_plugins  # noqa: F401 - registers 'upper' here only
from apache_beam.options.pipeline_options import PipelineOptions
from precision_state_fns_bare import ApplyAll


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([" a ", "b"])
            | "Apply" >> beam.ParDo(ApplyAll())
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
