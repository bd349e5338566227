"""A NamedTuple of the script has `total` and `most_common`, used only while the pipeline is
built; the worker code reads `.total()` and `.most_common()` of a `collections.Counter`.
Nothing reaches the NamedTuple there, so BD312 must not be reported: with dill and
`--save_main_session` it runs (a false error found by a review, m17 n09)."""

import collections
import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class Summary(typing.NamedTuple):
    name: str
    values: tuple

    def total(self):
        return sum(self.values)

    def most_common(self, n):
        return sorted(self.values)[-n:]


def count_words(line):
    c = collections.Counter(line.split())
    return "%d %s" % (c.total(), c.most_common(1)[0][0])


def run(argv):
    out, rest = argv[0], argv[1:]
    s = Summary("cfg", (1, 2, 3))
    print("summary", s.total(), s.most_common(1))
    with beam.Pipeline(options=PipelineOptions(rest)) as p:
        (
            p
            | beam.Create(["a b a", "c c d"])
            | beam.Map(count_words)
            | beam.io.WriteToText(out, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1:])
