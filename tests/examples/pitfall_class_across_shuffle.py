"""BD302: a DoFn creates instances of a class defined in the script and they cross a
shuffle (GroupByKey). The worker encodes them with Beam's fallback coder, which pickles the
class by reference to __main__: "Can't pickle <class '__main__.Point'>"."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Point:
    def __init__(self, x):
        self.x = x


with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:
    (
        p
        | beam.Create([1, 2, 1])
        | "ToPoint" >> beam.Map(lambda x: (x, Point(x)))
        | "Group" >> beam.GroupByKey()
        | beam.Map(lambda kv: print(kv[0], [q.x for q in kv[1]]))
    )
