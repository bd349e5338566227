"""A composite transform whose worker code reads an attribute PTransform gives it
(``self.label``, the transform's name, to tag its output).

dill 0.3.6 and newer (``--pickle_library=dill_unsafe``) rebuild the class without
``PTransform`` among its bases (from the ``__orig_bases__`` it inherits from the Generic
PTransform), so PTransform's ``label`` property is missing on the worker: "'Tag' object has
no attribute 'label'" (BD307). cloudpickle and dill 0.3.1.1 run it. Fixed:
dill_ptransform_base_fixed.py reads the label in expand(), while the pipeline is built."""

import argparse

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Tag(beam.PTransform):
    def tag(self, word):
        return f"{self.label}:{word}"  # runs on the workers

    def expand(self, pcoll):
        return pcoll | beam.Map(self.tag)


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    known, pipeline_args = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(pipeline_args)) as p:
        (
            p
            | beam.Create(["cat", "dog"])
            | Tag("Animals")  # PTransform.__init__(label): the label the instance keeps
            | beam.io.WriteToText(known.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
