"""An options class that adds --project, which Beam's GoogleCloudOptions already defines
(GoogleCloudPlatform/python-docs-samples, dataflow/snippets/write_pubsub.py)."""

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


# --8<-- [start:problem]
class MyOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--project", default="my-project")
        parser.add_argument("--topic", default="projects/my-project/topics/orders")


options = MyOptions()
with beam.Pipeline(options=options) as p:
    p | beam.Create(["order"]) | beam.Map(print)
# --8<-- [end:problem]
