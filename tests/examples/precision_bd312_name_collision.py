"""BD312 precision (review of this change, /tmp/rev/o.py): nothing a worker runs reads a member
the worker's NamedTuple lacks, so no BD312 (nor BD311, BD412, BD001). Checked, not run."""

import re
import sys
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Pattern:
    """A named rule: a regex source and a label."""

    def __init__(self, name, source):
        self.name = name
        self.source = source

    def label(self):
        return f"rule:{self.name}"


class Keep(beam.DoFn):
    def __init__(self, rule):
        self.rx = re.compile(rule.source)
        self.rule = rule

    def process(self, x):
        if self.rx.search(x):
            yield (self.rule.label(), x)


if __name__ == "__main__":
    out, rest = sys.argv[1], sys.argv[2:]
    with beam.Pipeline(options=PipelineOptions(rest)) as p:
        (
            p
            | beam.Create(["a", "b"])
            | beam.ParDo(Keep(Pattern("has-a", "a")))
            | beam.io.WriteToText(out + "/out")
        )
