"""BD206: the script registers a rule of its own in a (shipped) module's registry while it
builds the pipeline. ApplyRules travels by reference, so on a worker it reads the registry
of a fresh import of state_registry, which holds only the rules that module registers
itself: 'upper' is silently never applied there."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from state_registry import ApplyRules, rule


@rule("upper")
def upper(word):
    return word.upper()


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([" a ", "b"])
            | "Rules" >> beam.ParDo(ApplyRules())
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
