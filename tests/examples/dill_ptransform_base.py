"""A composite transform of the script built on the script's own base transform, whose
method runs on the workers and calls a helper of the base (``self.clean``).

dill 0.3.6 and newer (``--pickle_library=dill_unsafe``) rebuild a class of ``__main__`` from
the ``__orig_bases__`` it inherits from ``beam.PTransform`` (a ``typing.Generic``): on the
worker ``CleanWords`` has PTransform's own bases (WithTypeHints, HasDisplayData, Generic) in
place of ``TextTransform``, so the job fails with "'CleanWords' object has no attribute
'clean'", with or without --save_main_session (BD307). cloudpickle and dill 0.3.1.1 keep
the bases: it runs. Fixed: dill_ptransform_base_fixed.py."""

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class TextTransform(beam.PTransform):
    """The script's base for its text transforms: shared helpers."""

    def clean(self, word):
        return word.strip(".,!?").lower()


class CleanWords(TextTransform):
    def words(self, line):
        return [self.clean(word) for word in line.split()]  # runs on the workers

    def expand(self, pcoll):
        return pcoll | beam.FlatMap(self.words)


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    known, pipeline_args = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(pipeline_args)) as p:
        (
            p
            | beam.Create(["The cat.", "the DOG!"])
            | CleanWords()
            | beam.combiners.Count.PerElement()
            | beam.MapTuple(lambda word, n: f"{word}={n}")
            | beam.io.WriteToText(known.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
