"""BD312 precision (review of this change, /tmp/rev/d.py): nothing a worker runs reads a member
the worker's NamedTuple lacks, so no BD312 (nor BD311, BD412, BD001). Checked, not run."""

import sys
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Setting:
    """A value read from the instance's settings dict."""

    def __init__(self, key):
        self.key = key

    def __get__(self, obj, owner):
        return (obj or {}).get("values", {})[self.key] if obj is None else obj.values[self.key]


class Job:
    threshold = Setting("threshold")

    def __init__(self, values):
        self.values = values


class Keep(beam.DoFn):
    def __init__(self, job):
        self.job = job

    def process(self, x):
        if x >= self.job.threshold:
            yield x


if __name__ == "__main__":
    out, rest = sys.argv[1], sys.argv[2:]
    with beam.Pipeline(options=PipelineOptions(rest)) as p:
        (
            p
            | beam.Create([1, 5, 9])
            | beam.ParDo(Keep(Job({"threshold": 4})))
            | beam.io.WriteToText(out + "/out")
        )
