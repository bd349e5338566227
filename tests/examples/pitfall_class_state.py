"""BD205: the job's validation step appends what it finds to a list held by a class, and the
job reads that list after the pipeline (oppia/oppia#15748's review: "Why is this stored into a
'global' variable?"). Each worker process has its own copy of the class: the list stays empty
here, and the job reports no invalid exploration where there are two."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class ValidationJob:
    invalid = []

    def run(self, argv):
        explorations = [("exp1", ["End", "Continue"]), ("exp2", ["Continue"]), ("exp3", ["End"])]
        with beam.Pipeline(options=PipelineOptions(argv)) as p:
            p | beam.Create(explorations) | "Validate" >> beam.Map(self.validate)
        return ValidationJob.invalid

    @staticmethod
    def validate(exploration):
        name, states = exploration
        if "End" in states[:-1] or states == ["End"]:
            ValidationJob.invalid.append(name)
        return name


found = ValidationJob().run(sys.argv[1:])
print(f"invalid has {len(found)} items")
