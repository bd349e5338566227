"""BD305: a CombineFn keeps the user's ``preprocess`` function in each accumulator (the shape
of apache/beam#28558, pangeo-forge's ``CombineReferences``). Beam combines each bundle before
the shuffle and encodes the partial accumulators with the standard pickle, whatever
``--pickle_library`` says: the function is the copy the CombineFn's payload made, so the worker
fails with "Can't pickle <function drop_uncertainty ...>: attribute lookup drop_uncertainty on
__main__ failed" (with dill's main session: "it's not the same object as
__main__.drop_uncertainty")."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def drop_uncertainty(refs):
    return {name: ref for name, ref in refs.items() if not name.startswith("unc")}


class CombineReferences(beam.CombineFn):
    def __init__(self, preprocess=None):
        self.preprocess = preprocess

    def create_accumulator(self):
        return {"preprocess": self.preprocess, "refs": []}

    def add_input(self, acc, refs):
        if acc["preprocess"] is not None:
            refs = acc["preprocess"](refs)
        acc["refs"].append(refs)
        return acc

    def merge_accumulators(self, accs):
        accs = list(accs)
        for acc in accs[1:]:
            accs[0]["refs"].extend(acc["refs"])
        return accs[0]

    def extract_output(self, acc):
        names = sorted({name for refs in acc["refs"] for name in refs})
        return f"{len(acc['refs'])} files: {' '.join(names)}"


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
