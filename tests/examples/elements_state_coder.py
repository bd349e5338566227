"""BD322: a stateful DoFn keeps each key's last name in a state cell declared with
``VarIntCoder`` (copied from a counting example). The worker encodes every write with the
cell's coder and fails at the first one: "TypeError: an integer is required"."""

import sys

import apache_beam as beam
from apache_beam.coders import VarIntCoder
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec


class LastName(beam.DoFn):
    LAST = ReadModifyWriteStateSpec("last", VarIntCoder())

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
