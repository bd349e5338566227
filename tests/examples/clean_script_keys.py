"""Clean: classes of the script used only as grouping KEYS. Beam encodes keys with its
deterministic coder, which writes a frozen dataclass, a NamedTuple or an Enum together with
its class pickled by value, so workers decode them without the script's ``__main__``."""

import dataclasses
import enum
import sys
import typing

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


@dataclasses.dataclass(frozen=True)
class Region:
    country: str
    city: str


class Day(typing.NamedTuple):
    month: int
    day: int


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        rows = p | beam.Create([("fr", "paris", 1, 1, 5), ("fr", "paris", 1, 1, 7)])
        by_region = (
            rows
            | "ByRegion" >> beam.Map(lambda r: (Region(r[0], r[1]), r[4]))
            | "SumRegion" >> beam.CombinePerKey(sum)
            | "FmtRegion" >> beam.MapTuple(lambda k, v: f"{k.country}/{k.city}={v}")
        )
        by_day = (
            rows
            | "ByDay" >> beam.Map(lambda r: (Day(r[2], r[3]), r[4]))
            | "GroupDay" >> beam.GroupByKey()
            | "FmtDay" >> beam.MapTuple(lambda k, vs: f"{k.month}-{k.day}={sum(vs)}")
        )
        by_color = (
            rows
            | "ByColor" >> beam.Map(lambda r: (Color.RED if r[4] > 5 else Color.BLUE, 1))
            | "CountColor" >> beam.CombinePerKey(sum)
            | "FmtColor" >> beam.MapTuple(lambda k, n: f"{k.value}={n}")
        )
        (
            (by_region, by_day, by_color)
            | beam.Flatten()
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
