"""BD101 inside an object of the user's own project (the `ownclient` package, installed
from the project folder with `pip install .`, so it lives in site-packages): the path goes
down to the part that fails (EnrichFn.client._conn), because the user's own class is
theirs to fix; only a third-party library's object is reported as a whole. Fails at
submission ("Unable to pickle fn")."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from ownclient import Client


class EnrichFn(beam.DoFn):
    def __init__(self):
        self.client = Client("lookup")

    def process(self, x):
        yield x, self.client.lookup(x)


with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:
    p | beam.Create([1, 2]) | "Enrich" >> beam.ParDo(EnrichFn())
