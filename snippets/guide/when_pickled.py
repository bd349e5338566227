"""Count how many times Beam pickles a DoFn while a pipeline is built and submitted."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


# --8<-- [start:count]
class CountingDoFn(beam.DoFn):
    pickled = unpickled = 0  # counted in the submitting process only

    def __getstate__(self):
        CountingDoFn.pickled += 1
        return self.__dict__

    def __setstate__(self, state):
        CountingDoFn.unpickled += 1
        self.__dict__.update(state)

    def process(self, element):
        yield element


def report(when):
    print(f"{when:18} pickled {CountingDoFn.pickled}, unpickled {CountingDoFn.unpickled}")


def run(argv=None):
    p = beam.Pipeline(options=PipelineOptions(argv))
    _ = p | beam.Create([1, 2, 3]) | beam.ParDo(CountingDoFn())
    report("after ParDo(...):")  # the construction roundtrip
    p.run().wait_until_finish()  # to_runner_api() pickles it again, to ship it
    report("after run():")


if __name__ == "__main__":
    run(sys.argv[1:])
# --8<-- [end:count]
