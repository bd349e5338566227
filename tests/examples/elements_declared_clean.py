"""Clean: every value these functions emit has the type their declarations say (or one
the coder gives back unchanged), so nothing is reported and the run is right: a def whose
every way returns, a try whose handler returns, a loop that returns from inside, str(),
len(), an int under a declared float, and an Optional that holds None."""

import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def classify(line) -> typing.Tuple[str, int]:
    name, _, count = line.partition(",")
    if count.isdigit():
        return name, int(count)
    else:
        return name, 0


def size(kv) -> typing.Tuple[str, float]:
    try:
        return str(kv[0]), len(kv[1])
    except TypeError:
        return "none", 0.5


def first(kv) -> typing.Tuple[str, typing.Optional[int]]:
    for value in kv[1]:
        return f"{kv[0]}!", value
    return kv[0], None


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(["a,1", "a,x", "b,3"])
            | "Classify" >> beam.Map(classify)
            | "ByKey" >> beam.GroupByKey()
            | "Size" >> beam.Map(size)
            | "Again" >> beam.GroupByKey()
            | "First" >> beam.Map(first)
            | "Last" >> beam.GroupByKey()
            | "Show" >> beam.MapTuple(lambda k, vs: f"{k}={sorted(vs, key=str)}")
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
