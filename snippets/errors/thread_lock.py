"""Elements that hold a lock cannot be encoded between stages."""

import sys
import threading

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


# --8<-- [start:problem]
class Account:
    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()  # elements are pickled with the standard pickle


def run(argv=None):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["alice", "bob"])
            | beam.Map(Account)
            | beam.Reshuffle()
            | beam.Map(lambda account: account.name)
        )


if __name__ == "__main__":
    run(sys.argv[1:])
# --8<-- [end:problem]
