"""BD105 (error with dill): a DoFn keeps a file opened for reading by a relative path. dill
pickles the handle as its name and position and reopens it on the worker, whose working
folder is not the script's; the file is not there, and dill (strictio off, as Beam uses it)
silently gives an EMPTY file instead of an error: every word is "unknown" on the worker.
(cloudpickle pickles the contents instead: the same script is right there.)"""

import os
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Known(beam.DoFn):
    def __init__(self, handle):
        self.handle = handle

    def setup(self):
        self.known = set(self.handle.read().split())

    def process(self, word):
        yield f"{word}={'known' if word in self.known else 'unknown'}"


def run(output, argv):
    os.chdir(os.path.dirname(os.path.abspath(output)))
    with open("known_words.txt", "w") as out:
        out.write("cat dog\n")
    handle = open("known_words.txt")  # noqa: SIM115 - the pitfall this example shows
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["cat", "emu"])
            | "Known" >> beam.ParDo(Known(handle))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
