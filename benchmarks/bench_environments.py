"""Benchmark: what data crossing an environment boundary costs (per-transform environments).

One pipeline, run on a real worker pool (the embedded job server, ``--environment_type=
EXTERNAL``, workers booted by beam-deps-boot from a worker image): a generator in the default
environment, two ``Map``s that each ask for an environment of their own
(``@requires(..., own_environment=True)``), and a sum back in the default environment.

* fused  ``python bench.py``: no hook, one environment, Beam fuses the whole chain into one
         stage; elements never leave the worker;
* split  ``python -m beam_deps.split bench.py``: three environments; every element crosses
         three boundaries (default -> A -> B -> default), each a trip through the runner.

Each variant runs with a small and a large element count; the difference divided by the
element difference is the marginal cost per element, which removes job and worker start-up.
Printed: those costs and their ratio (split / fused), the median of ``--runs``.

    python benchmarks/bench_environments.py [--runs 3] [--elements 200000] [--workdir DIR]
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import boot_support as bs  # noqa: E402  (the tests' worker image and worker pool)

PIPELINE = """
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

import beam_deps


@beam_deps.requires("mergedeep==1.3.4", own_environment=True)
def first(x):
    return x + 1


@beam_deps.requires("iniconfig==2.0.0", own_environment=True)
def second(x):
    return x * 2

n, out = int(sys.argv[1]), sys.argv[2]
with beam.Pipeline(options=PipelineOptions(sys.argv[3:])) as p:
    (
        p
        | beam.Impulse()
        | "Generate" >> beam.FlatMap(lambda _: range(n))
        | "First" >> beam.Map(first)
        | "Second" >> beam.Map(second)
        | beam.CombineGlobally(sum)
        | beam.io.WriteToText(out, shard_name_template="")
    )
"""


def run(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=str(cwd), env=bs.clean_env(), capture_output=True, text=True)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"pipeline failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--elements", type=int, default=200_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    root = args.workdir or Path(tempfile.mkdtemp(prefix="beam-deps-bench-envs-"))
    root.mkdir(parents=True, exist_ok=True)
    image = bs.worker_image(root / "assets")
    script = root / "bench.py"
    script.write_text(PIPELINE)
    pool = bs.WorkerPool(image, root / "pool", root / "pool" / "cache")
    small = 1000
    try:
        variants = {
            "fused": [sys.executable, str(script)],
            "split": [sys.executable, "-m", "beam_deps.split", str(script)],
        }
        costs: dict[str, list[float]] = {name: [] for name in variants}
        for cmd in variants.values():  # warm: environments installed and cached
            run([*cmd, str(small), str(root / "out"), *bs.portable_args(pool)], root)
        for _ in range(args.runs):
            for name, cmd in variants.items():
                times = [
                    run([*cmd, str(n), str(root / "out"), *bs.portable_args(pool)], root)
                    for n in (small, args.elements)
                ]
                costs[name].append((times[1] - times[0]) / (args.elements - small))
        fused = statistics.median(costs["fused"])
        split = statistics.median(costs["split"])
        print(f"elements: {args.elements} (marginal over {small}), runs: {args.runs}")
        print(f"fused (one environment):        {fused * 1e6:8.2f} us/element")
        print(f"split (3 boundaries crossed):   {split * 1e6:8.2f} us/element")
        print(f"ratio split/fused:              {split / fused:8.1f}x")
        print(f"per boundary crossed:           {(split - fused) / 3 * 1e6:8.2f} us/element")
    finally:
        pool.stop()
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
