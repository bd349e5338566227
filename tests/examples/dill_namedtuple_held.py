"""A DoFn holds a `typing.NamedTuple` instance (its settings) and calls a method of it on the
worker. dill pickles the instance's class by its name and fields only, with or without
`--save_main_session`, so the worker fails with "AttributeError: 'FormatCfg' object has no
attribute 'apply'" (BD312). cloudpickle carries the whole class: it runs."""

import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class FormatCfg(typing.NamedTuple):
    prefix: str
    upper: bool

    def apply(self, text):
        t = text.upper() if self.upper else text
        return self.prefix + t


class Decorate(beam.DoFn):
    def __init__(self, cfg):
        self.cfg = cfg

    def process(self, element):
        yield self.cfg.apply(element)


def run(argv):
    out, rest = argv[0], argv[1:]
    cfg = FormatCfg(">> ", True)
    with beam.Pipeline(options=PipelineOptions(rest)) as p:
        (
            p
            | beam.Create(["foo", "bar"])
            | beam.ParDo(Decorate(cfg))
            | beam.io.WriteToText(out, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1:])
