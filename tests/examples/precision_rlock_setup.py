"""BD104 precision (review of this change): the RLock made in ``__init__`` is pickled (and
dill rebuilds it taken), but ``setup()`` makes a new one before ``process`` uses it: nothing
hangs, so BD104 stays a warning under dill."""

import sys
import threading

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Dedup(beam.DoFn):
    def __init__(self):
        self.lock = threading.RLock()
        self.seen = set()

    def setup(self):
        import threading  # dill without the main session: the script's imports are not there

        self.lock = threading.RLock()
        self.seen = set()

    def process(self, x):
        with self.lock:
            if x in self.seen:
                return
            self.seen.add(x)
        yield x


if __name__ == "__main__":
    output, argv = sys.argv[1], sys.argv[2:]
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a", "b", "a"])
            | beam.ParDo(Dedup())
            | beam.io.WriteToText(output, shard_name_template="")
        )
