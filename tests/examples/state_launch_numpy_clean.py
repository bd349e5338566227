"""Clean: the script sets numpy's print options for its own printing only; the worker code
uses numpy to compute (np.mean) and makes no text from arrays, so the setting changes nothing
there and nothing is reported. The run writes the right means."""

import argparse

import apache_beam as beam
import numpy as np
from apache_beam.options.pipeline_options import PipelineOptions


def mean(row):
    return float(np.mean(np.array(row)))


def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    args, beam_args = parser.parse_known_args(argv)
    np.set_printoptions(precision=2)
    print("sample:", np.array([1.0, 2.0]) / 3)
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        (
            p
            | beam.Create([[1.0, 2.0], [3.0, 5.0]])
            | "Mean" >> beam.Map(mean)
            | "Show" >> beam.Map(lambda m: f"{m:.1f}")
            | beam.io.WriteToText(args.output, shard_name_template="")
        )


if __name__ == "__main__":
    run()
