"""BD207: the script sets numpy's print options (np.set_printoptions(precision=2)) before it
builds the pipeline, and the DoFn formats arrays with str(): the workers are other processes
with numpy's defaults and write 8 digits. No error anywhere."""

import argparse

import apache_beam as beam
import numpy as np
from apache_beam.options.pipeline_options import PipelineOptions


def thirds(row):
    return str(np.array(row) / 3)


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    args, beam_args = parser.parse_known_args(argv)
    np.set_printoptions(precision=2)
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        (
            p
            | beam.Create([[1.0, 2.0]])
            | "Thirds" >> beam.Map(thirds)
            | beam.io.WriteToText(args.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
