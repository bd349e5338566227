"""Two transforms that need two versions of one package, in one pipeline.

Each transform runs in an environment of its own (per-transform environments) and writes the
version it imported. Run it with `beam-deps run environments.py -- <pipeline options>`, or
with `python environments.py <pipeline options>` (the hook below).
"""

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

import beam_deps
import beam_deps.split


# --8<-- [start:environments]
@beam_deps.requires("mergedeep==1.3.4")
class New(beam.DoFn):
    def process(self, word):
        import mergedeep  # on the worker: the version of this transform's environment

        yield f"new {word} mergedeep=={mergedeep.__version__}"


@beam_deps.requires("mergedeep==1.3.1")
class Old(beam.DoFn):
    def process(self, word):
        import mergedeep

        yield f"old {word} mergedeep=={mergedeep.__version__}"


# --8<-- [end:environments]


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", default="versions")
    known, pipeline_args = parser.parse_known_args(argv)
    # --8<-- [start:hook]
    with beam.Pipeline(options=PipelineOptions(pipeline_args)) as p:
        words = p | beam.Create(["alpha", "beta"])
        new = words | "New" >> beam.ParDo(New())
        old = words | "Old" >> beam.ParDo(Old())
        (new, old) | beam.Flatten() | beam.io.WriteToText(known.output, shard_name_template="")
        beam_deps.split.use_environments(p)  # only needed for `python pipeline.py`
    # --8<-- [end:hook]


if __name__ == "__main__":
    main()
