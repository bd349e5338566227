"""BD206 fixed: the setting travels with the transform, as an argument of the function
(Beam pickles it with the payload), instead of through the module's global."""

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def tag(word, env):
    return f"{word}@{env}"


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--env", default="dev")
    args, beam_args = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        (
            p
            | beam.Create(["a", "b"])
            | "Tag" >> beam.Map(tag, env=args.env)
            | beam.io.WriteToText(args.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
