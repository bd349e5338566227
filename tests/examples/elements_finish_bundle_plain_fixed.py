"""BD320, fixed: ``finish_bundle`` wraps the batch in a WindowedValue of the global window
(``GlobalWindows.windowed_value``), the window every element of this pipeline is in."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms.window import GlobalWindows


class JoinBundle(beam.DoFn):
    def start_bundle(self):
        self.batch = []

    def process(self, word):
        self.batch.append(word)

    def finish_bundle(self):
        if self.batch:
            yield GlobalWindows.windowed_value("|".join(sorted(self.batch)))


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
