"""BD206: the script sets a module-level setting of its own (shipped) module from its
arguments while it builds the pipeline. Workers import state_jobconfig afresh and read its
default: every element is tagged 'dev', although the job was started with --env prod. No
error anywhere: the results are silently wrong."""

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

import state_jobconfig


def tag(word):
    return f"{word}@{state_jobconfig.ENV}"


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
            | "Tag" >> beam.Map(tag)
            | beam.io.WriteToText(args.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
