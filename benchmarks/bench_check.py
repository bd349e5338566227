"""Benchmark: `beam-deps check` against Beam building and serialising the same pipeline.

A synthetic script applies N user transforms (DoFns with state, lambdas with defaults,
module functions, CombineFns). We time, as whole processes, alternating, same run:

* baseline: ``python synth.py --baseline``: Beam builds the pipeline and serialises it
  with ``Pipeline.to_runner_api()`` (what a runner does first; nothing is executed);
* check:    ``beam-deps check synth.py``: the same build, every payload pickled once and
  inspected, one simulated worker process unpickling all of them, the report.

Goal (issue 3): check / baseline <= 1.5 at N = 1,000, and time linear in N (100 vs 1,000).

    python benchmarks/bench_check.py [--repeats 3] [--sizes 100 1000]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ratios import add_record_flag, record

SCRIPT = """\
import sys

import apache_beam as beam

N = {n}


class AddFn(beam.DoFn):
    def __init__(self, amount):
        self.amount = amount
        self.table = {{k: k * amount for k in range(20)}}

    def process(self, x):
        yield x + self.table.get(x % 20, 0)


class SumFn(beam.CombineFn):
    def create_accumulator(self):
        return 0

    def add_input(self, acc, x):
        return acc + x

    def merge_accumulators(self, accs):
        return sum(accs)

    def extract_output(self, acc):
        return acc


def double(x):
    return 2 * x


p = beam.Pipeline()
nums = p | "Nums" >> beam.Create([1, 2, 3])
for i in range(N // 4):
    nums | f"Add{{i}}" >> beam.ParDo(AddFn(i))
    nums | f"Lambda{{i}}" >> beam.Map(lambda x, i=i: x * i)
    nums | f"Double{{i}}" >> beam.Map(double)
    nums | f"Sum{{i}}" >> beam.CombineGlobally(SumFn())
if "--baseline" in sys.argv:
    p.to_runner_api()
else:
    p.run()
"""


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def beam_deps_command() -> list[str]:
    exe = shutil.which("beam-deps", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "beam_deps.cli"]


def measure(n: int, repeats: int, folder: Path) -> tuple[float, float]:
    script = folder / f"synth_{n}.py"
    script.write_text(SCRIPT.format(n=n))
    baseline_cmd = [sys.executable, str(script), "--baseline"]
    check_cmd = [*beam_deps_command(), "check", str(script), "--exit-zero"]
    timed(baseline_cmd)  # warm the file system caches once
    baseline, check = [], []
    for _ in range(repeats):  # alternate, so drifting machine load hits both alike
        baseline.append(timed(baseline_cmd))
        check.append(timed(check_cmd))
    return statistics.median(baseline), statistics.median(check)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    add_record_flag(parser)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            base, check = measure(n, args.repeats, Path(tmp))
            results[n] = (base, check)
            print(
                f"N={n:>5}: beam build+to_runner_api {base:6.2f}s   beam-deps check "
                f"{check:6.2f}s   ratio {check / base:4.2f}",
                flush=True,
            )
    if len(results) >= 2:
        small, large = min(results), max(results)
        (b0, c0), (b1, c1) = results[small], results[large]
        per_check = (c1 - c0) / (large - small) * 1000
        per_beam = (b1 - b0) / (large - small) * 1000
        print(
            f"marginal cost per transform: beam {per_beam:.2f} ms, check {per_check:.2f} ms "
            f"(ratio {per_check / per_beam:.2f}); time ratio {large}/{small}: beam "
            f"{b1 / b0:.2f}, check {c1 / c0:.2f}"
        )
    if args.record:
        rows = [
            (f"check / (build + to_runner_api), {n:,} transforms", c / b, 1.5)
            for n, (b, c) in sorted(results.items(), reverse=True)
        ]
        if len(results) >= 2:
            rows.append(("marginal cost per transform, check / Beam", per_check / per_beam, None))
        record(rows, "benchmarks/bench_check.py")


if __name__ == "__main__":
    main()
