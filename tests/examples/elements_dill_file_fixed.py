"""Fixed elements_dill_file.py: read the file on the submitting machine and pass its data
(a set of words) to the DoFn: the data travels in the payload with any pickler."""

import os
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Known(beam.DoFn):
    def __init__(self, known):
        self.known = known

    def process(self, word):
        yield f"{word}={'known' if word in self.known else 'unknown'}"


def run(output, argv):
    os.chdir(os.path.dirname(os.path.abspath(output)))
    with open("known_words.txt", "w") as out:
        out.write("cat dog\n")
    with open("known_words.txt") as handle:
        known = set(handle.read().split())
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["cat", "emu"])
            | "Known" >> beam.ParDo(Known(known))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
