"""The fix for ``elements_accumulator_function.py``: the CombineFn holds the function and calls
it in ``add_input``; the accumulator holds data only, which the standard pickle encodes. The
job writes ``4 files: lst time``."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def drop_uncertainty(refs):
    return {name: ref for name, ref in refs.items() if not name.startswith("unc")}


class CombineReferences(beam.CombineFn):
    def __init__(self, preprocess=None):
        self.preprocess = preprocess

    def create_accumulator(self):
        return []

    def add_input(self, acc, refs):
        if self.preprocess is not None:
            refs = self.preprocess(refs)
        acc.append(refs)
        return acc

    def merge_accumulators(self, accs):
        return [refs for acc in accs for refs in acc]

    def extract_output(self, acc):
        names = sorted({name for refs in acc for name in refs})
        return f"{len(acc)} files: {' '.join(names)}"


def run(output, argv):
    files = [{"lst": f"f{i}.nc", "unc": f"f{i}.nc", "time": f"f{i}.nc"} for i in range(4)]
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create(files)
            | "Combine" >> beam.CombineGlobally(CombineReferences(preprocess=drop_uncertainty))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
