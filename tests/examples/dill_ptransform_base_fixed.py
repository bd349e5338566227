"""dill_ptransform_base.py and dill_ptransform_label.py fixed: the code that runs on the
workers reads nothing the transform's class inherits. The helper is a method of the class
itself, and the label is read in expand(), while the pipeline is built, and travels as a
value. With dill 0.3.6 and newer the transform still arrives without its bases, and nothing
on the worker looks for them: it runs with every pickler, with or without
--save_main_session (no BD307)."""

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class TextTransform(beam.PTransform):
    """The script's base for its text transforms."""


class CleanWords(TextTransform):
    def clean(self, word):  # the class's own: on the worker too
        return word.strip(".,!?").lower()

    def words(self, line):
        return [self.clean(word) for word in line.split()]

    def expand(self, pcoll):
        label = self.label  # read here, while the pipeline is built
        return pcoll | beam.FlatMap(self.words) | beam.Map(lambda word: f"{label}:{word}")


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    known, pipeline_args = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(pipeline_args)) as p:
        (
            p
            | beam.Create(["The cat.", "the DOG!"])
            | "Clean" >> CleanWords()
            | beam.combiners.Count.PerElement()
            | beam.MapTuple(lambda word, n: f"{word}={n}")
            | beam.io.WriteToText(known.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
