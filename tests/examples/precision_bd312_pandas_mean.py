"""BD312 precision (review of this change, /tmp/rev/b.py): nothing a worker runs reads a member
the worker's NamedTuple lacks, so no BD312 (nor BD311, BD412, BD001). Checked, not run."""

import sys, typing
import apache_beam as beam
import pandas as pd
from apache_beam.options.pipeline_options import PipelineOptions


class Stats(typing.NamedTuple):
    count: int
    total: float

    @property
    def mean(self):  # used by the driver only
        return self.total / self.count


def mean_price(rows):
    return float(pd.DataFrame(rows)["price"].mean())


def to_stats(xs):
    return Stats(len(xs), float(sum(xs)))


if __name__ == "__main__":
    out, rest = sys.argv[1], sys.argv[2:]
    with beam.Pipeline(options=PipelineOptions(rest)) as p:
        rows = p | beam.Create([[{"price": 1.0}, {"price": 3.0}]])
        (
            rows
            | "mean" >> beam.Map(mean_price)
            | beam.combiners.ToList()
            | beam.Map(to_stats)
            | beam.Map(lambda s: (s.count, s.total))
            | beam.io.WriteToText(out + "/out")
        )
