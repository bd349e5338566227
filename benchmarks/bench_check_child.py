"""Benchmark: `beam-deps check` on Beam's own wordcount against running it with Python.

Issue 12 item 16 moved the user's script into a forked child process group (so check
always ends); this must not make check slower. We time, as whole processes, alternating,
same run, on a small input:

* python:   ``python -m apache_beam.examples.wordcount --input IN --output OUT`` (the
  DirectRunner builds and runs the pipeline);
* check:    ``beam-deps check wordcount.py -- --input IN --output OUT`` (child process
  group, the default);
* before:   with ``--before DIR``, the same check with DIR (a folder holding an older
  ``beam_deps`` package, e.g. ``git archive HEAD~1 beam_deps | tar -x -C DIR``) first on
  PYTHONPATH: the check as it was, in the CLI's own process.

Prints median seconds and the ratios check/python and check/before (goal: check/python
<= 1.0, check/before <= 1.0).

    python benchmarks/bench_check_child.py [--repeats 5] [--before DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env})
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--before", metavar="DIR", help="a folder holding an older beam_deps")
    args = parser.parse_args()
    import apache_beam.examples.wordcount as wordcount

    script = wordcount.__file__
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "in.txt"
        data.write_text("the quick brown fox jumps over the lazy dog\n" * 200)
        pipeline_args = ["--input", str(data), "--output", str(Path(tmp) / "out")]
        check = [sys.executable, "-m", "beam_deps.cli", "check", script, "--", *pipeline_args]
        commands = {"python": ([sys.executable, script, *pipeline_args], {}), "check": (check, {})}
        if args.before:
            commands["before"] = (check, {"PYTHONPATH": str(Path(args.before).resolve())})
        for cmd, env in commands.values():  # warm the file cache
            _time(cmd, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, (cmd, env) in commands.items():
                times[name].append(_time(cmd, env))
    median = {name: statistics.median(values) for name, values in times.items()}
    for name, value in median.items():
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"{name:8s} median {value:6.2f}s  (runs: {runs})")
    print(f"check / python   = {median['check'] / median['python']:.2f}x")
    if "before" in median:
        print(f"check / before   = {median['check'] / median['before']:.2f}x")


if __name__ == "__main__":
    main()
