"""BD206 through a helper: the step calls ``state_jobconfig.bucket()``, a function of the
shipped module that reads the module's ENV, which the script sets from --env while it builds
the pipeline. The function travels by reference, so on a worker it reads the fresh module's
default: every element goes to 'dev-bucket', although the job was started with --env prod."""

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

import state_jobconfig


class Route(beam.DoFn):
    def process(self, word):
        yield f"{word}@{state_jobconfig.bucket()}"


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--env", default="dev")
    args, beam_args = parser.parse_known_args(argv)
    state_jobconfig.ENV = args.env  # here only: workers import state_jobconfig afresh
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        (
            p
            | beam.Create(["a", "b"])
            | "Route" >> beam.ParDo(Route())
            | beam.io.WriteToText(args.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
