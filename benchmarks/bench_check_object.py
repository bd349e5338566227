"""check_object on a clean, DoFn-sized object vs Beam's own pickler.dumps of it.

Goal (issue: foundation): check_object costs at most 1.5x Beam's dumps, because diagnostics
work happens only when something is wrong. Both are measured alternately in one process,
so machine noise hits both sides alike. Run: python benchmarks/bench_check_object.py
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

import apache_beam as beam
from apache_beam.internal import pickler
from ratios import add_record_flag, record

import beam_deps

PATTERN = re.compile(r"[a-z]+")


def tokenize(line: str) -> list[str]:
    return PATTERN.findall(line.lower())


class EnrichFn(beam.DoFn):
    """A typical DoFn: some config, a lookup table, a helper function, a side output tag."""

    def __init__(self):
        super().__init__()
        self.config = {"project": "p", "dataset": "d", "retries": 3, "timeout": 30.0}
        self.stopwords = {f"word{i}" for i in range(200)}
        self.weights = [float(i) / 7 for i in range(200)]
        self.tokenize = tokenize
        self.tag = "rejected"

    def process(self, element):
        for token in self.tokenize(element):
            if token not in self.stopwords:
                yield token


def measure(fn, obj, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(obj)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=20)
    add_record_flag(parser)
    args = parser.parse_args()
    obj = EnrichFn()
    assert beam_deps.check_object(obj).ok
    beam_times: list[float] = []
    ours: list[float] = []
    for _ in range(args.rounds):  # alternate, so drift affects both sides
        beam_times += measure(pickler.dumps, obj, args.repeat)
        ours += measure(beam_deps.check_object, obj, args.repeat)
    b, o = statistics.median(beam_times), statistics.median(ours)
    print(f"payload size              {len(pickler.dumps(obj)):>10,} bytes")
    print(f"Beam pickler.dumps        {b * 1e3:>10.3f} ms (median of {len(beam_times)})")
    print(f"beam_deps.check_object    {o * 1e3:>10.3f} ms (median of {len(ours)})")
    print(f"ratio check_object/dumps  {o / b:>10.2f}x   (goal <= 1.50x)")
    if args.record:
        record([("check_object / pickler.dumps", o / b, 1.5)], "benchmarks/bench_check_object.py")


if __name__ == "__main__":
    main()
