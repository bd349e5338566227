"""Side inputs passed the way Beam documents them, to every transform that takes them:
CombineGlobally / CombinePerKey (AsSingleton, AsDict, AsIter), Map / FlatMap / ParDo
(AsList) and Filter (AsSingleton). Beam's CombineGlobally keeps the side inputs in a closure
of its own expand(); that is Beam's code, not a capture of the user's: no BD111.
Runs on isolated workers and writes the results."""

import argparse
import json

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pvalue import AsDict, AsIter, AsList, AsSingleton


def total(values, scale, table, extra):
    # Beam applies a combining function to partial results too: it must be idempotent
    return max([*values, scale + len(table) + sum(extra)])


class Tag(beam.DoFn):
    def process(self, x, names):
        yield f"{names[0]}-{x}"


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", required=True)
    known, pipeline_args = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(pipeline_args)) as p:
        nums = p | "Nums" >> beam.Create([1, 2, 3])
        scale = p | "Scale" >> beam.Create([10])
        table = p | "Table" >> beam.Create([("a", 1)])
        extra = p | "Extra" >> beam.Create([5])
        names = p | "Names" >> beam.Create(["n"])
        glob = nums | "Total" >> beam.CombineGlobally(
            total, AsSingleton(scale), AsDict(table), AsIter(extra)
        )
        keyed = nums | "Key" >> beam.Map(lambda x: (x % 2, x))
        per_key = keyed | "PerKey" >> beam.CombinePerKey(
            total, AsSingleton(scale), AsDict(table), AsIter(extra)
        )
        kept = nums | "Keep" >> beam.Filter(lambda x, limit: x < limit, AsSingleton(scale))
        mapped = kept | "Map" >> beam.Map(lambda x, ex: x + sum(ex), AsList(extra))
        flat = mapped | "Flat" >> beam.FlatMap(lambda x, ex: [x] * len(ex), ex=AsList(extra))
        tagged = flat | "Tag" >> beam.ParDo(Tag(), AsList(names))
        (
            (
                glob | "G" >> beam.Map(lambda v: ("global", v)),
                per_key | "K" >> beam.Map(lambda kv: (f"key{kv[0]}", kv[1])),
                tagged | "T" >> beam.Map(lambda t: ("tag", t)),
            )
            | beam.Flatten()
            | beam.Map(json.dumps)
            | beam.io.WriteToText(known.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
