"""BD206 through a local alias: worker code reads a class attribute of a shipped module via a
local name (``s = state_jobconfig.Settings``), and the script set that attribute from its
arguments while it built the pipeline. Workers import state_jobconfig afresh: every element is
tagged 'eu' although the job was started with --region us. Silently wrong, no error."""

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

import state_jobconfig


def tag(word):
    s = state_jobconfig.Settings
    return f"{word}@{s.region}"


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--region", default="eu")
    args, beam_args = parser.parse_known_args(argv)
    state_jobconfig.Settings.region = args.region  # here only
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        (
            p
            | beam.Create(["a", "b"])
            | "Tag" >> beam.Map(tag)
            | beam.io.WriteToText(args.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
