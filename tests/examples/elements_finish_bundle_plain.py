"""BD320: ``finish_bundle`` yields a plain value. The DoFn buffers its elements in
``process`` and yields the joined batch when the bundle ends, when there is no element whose
window and timestamp it could take; Beam requires a WindowedValue there and the worker
fails: "RuntimeError: Finish Bundle should only output WindowedValue type but got <class
'str'>"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class JoinBundle(beam.DoFn):
    def start_bundle(self):
        self.batch = []

    def process(self, word):
        self.batch.append(word)

    def finish_bundle(self):
        if self.batch:
            yield "|".join(sorted(self.batch))


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["b", "a", "c"])
            | beam.ParDo(JoinBundle())
            | beam.FlatMap(lambda joined: joined.split("|"))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
