"""Fixed elements_state_coder.py: the cell is declared with the coder of what it stores
(``StrUtf8Coder``): each key keeps its last name, and the worker writes it as text."""

import sys

import apache_beam as beam
from apache_beam.coders import StrUtf8Coder
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec


class LastName(beam.DoFn):
    LAST = ReadModifyWriteStateSpec("last", StrUtf8Coder())

    def process(self, kv, last=beam.DoFn.StateParam(LAST)):
        key, name = kv
        previous = last.read()
        last.write(name)
        yield f"{key}:{previous}->{name}"


def run(argv):
    output, *beam_args = argv
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        (
            p
            | beam.Create([("a", "ann"), ("b", "bob")])
            | beam.ParDo(LastName())
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1:])
