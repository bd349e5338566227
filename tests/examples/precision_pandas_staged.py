"""A pipeline that uses pandas, with pandas staged (--requirements_file), as BD401 says to
do. pandas makes `sysconfig` import the interpreter's own `_sysconfigdata_*` module, which
every worker's Python has: it is not local code (no BD402). Runs on isolated workers."""

import argparse

import apache_beam as beam
import pandas as pd
from apache_beam.options.pipeline_options import PipelineOptions


def doubled_sum(x):
    return int(pd.Series([x, x]).sum())


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", required=True)
    known, pipeline_args = parser.parse_known_args(argv)
    with beam.Pipeline(options=PipelineOptions(pipeline_args)) as p:
        (
            p
            | beam.Create([1, 2, 3])
            | beam.Map(doubled_sum)
            | beam.CombineGlobally(sum)
            | beam.io.WriteToText(known.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
