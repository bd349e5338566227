"""Benchmark: `beam-deps stage` cold vs warm, and against Beam's own stager.

What is measured (each in a fresh interpreter, as a user would run it; medians printed):

* cold: ``stage()`` with an empty cache (runs the script, resolves, builds the local wheel)
* warm: ``stage()`` again on unchanged inputs (content-hash cache hit). Goal: <= 0.3 s for the
  staging call itself; the interpreter start + ``import beam_deps`` is printed separately
* cold --wheelhouse: the same plus one ``pip download`` of every requirement
* Beam's stager on a requirements file of the same packages
  (``Stager.create_job_resources`` with ``--requirements_file`` and a fresh
  ``--requirements_cache``: it runs one ``pip download`` per line, as at every submission)

Needs network access to the package index for the two download measurements.
Run: python benchmarks/bench_stage.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from ratios import add_record_flag, record

HERE = Path(__file__).resolve().parent
FIXTURE = HERE.parent / "tests" / "staging_fixtures" / "loose"

# Worker-side imports of packages outside apache-beam's closure (installed in the dev venv).
EXTRA_IMPORTS = ["iniconfig", "pluggy", "pygments", "click", "markdown"]

STAGE = """
import json, sys, time
t0 = time.perf_counter()
from beam_deps.staging import stage
t1 = time.perf_counter()
s = stage(sys.argv[1], out=sys.argv[2], wheelhouse=sys.argv[3] == "1", progress=None)
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "stage": t2 - t1, "cached": s.cached,
                  "requirements": s.requirements}))
"""

BEAM_STAGER = """
import sys, time
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.stager import Stager

options = PipelineOptions(["--requirements_file=" + sys.argv[1],
                           "--requirements_cache=" + sys.argv[2]])
t = time.perf_counter()
Stager.create_job_resources(options, sys.argv[3], log_submission_env_dependencies=False)
print(time.perf_counter() - t)
"""


def make_project(root: Path) -> Path:
    project = root / "bench"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("__pycache__"))
    imports = "\n".join(f"        import {m}  # noqa: F401" for m in EXTRA_IMPORTS)
    (project / "pipeline.py").write_text(
        textwrap.dedent(
            """
            import apache_beam as beam

            import mylib


            class Work(beam.DoFn):
                def process(self, x):
            {imports}
                    yield mylib.shout(x)


            with beam.Pipeline() as p:
                p | beam.Create(["a"]) | beam.ParDo(Work())
            """
        ).format(imports=imports)
    )
    return project


def run_stage(script: Path, out: Path, cache: Path, wheelhouse: bool) -> dict:
    env = dict(os.environ, BEAM_DEPS_CACHE_DIR=str(cache))
    proc = subprocess.run(
        [sys.executable, "-c", STAGE, str(script), str(out), "1" if wheelhouse else "0"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_beam_stager(requirements: Path, root: Path) -> float:
    cache = Path(tempfile.mkdtemp(dir=root, prefix="beam-cache-"))
    tmp = Path(tempfile.mkdtemp(dir=root, prefix="beam-tmp-"))
    proc = subprocess.run(
        [sys.executable, "-c", BEAM_STAGER, str(requirements), str(cache), str(tmp)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-network", action="store_true")
    add_record_flag(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-stage-") as tmp:
        root = Path(tmp)
        script = make_project(root) / "pipeline.py"
        cold, warm, warm_import, cold_wh, beam = [], [], [], [], []
        requirements = None
        for i in range(args.repeat):
            cache = root / f"cache-{i}"
            first = run_stage(script, root / f"out-{i}", cache, wheelhouse=False)
            assert not first["cached"]
            cold.append(first["stage"])
            requirements = first["requirements"]
            again = run_stage(script, root / f"out-{i}", cache, wheelhouse=False)
            assert again["cached"], "warm run missed the cache"
            warm.append(again["stage"])
            warm_import.append(again["import"])
        req_file = root / f"out-{args.repeat - 1}" / "requirements.txt"
        if not args.skip_network:
            for i in range(args.repeat):
                cache = root / f"cache-wh-{i}"
                cold_wh.append(run_stage(script, root / f"wh-{i}", cache, True)["stage"])
                beam.append(run_beam_stager(req_file, root))

    med = statistics.median
    print(f"requirements staged ({len(requirements)}): {', '.join(requirements)}")
    print(f"{'measurement':<46}{'median s':>10}{'ratio':>10}")
    print(f"{'stage, cold (script + resolve + wheel)':<46}{med(cold):>10.3f}{1:>10.2f}")
    print(
        f"{'stage, warm (unchanged inputs, cache hit)':<46}{med(warm):>10.3f}"
        f"{med(warm) / med(cold):>10.3f}   goal <= 0.3 s: {'met' if med(warm) <= 0.3 else 'MISSED'}"
    )
    print(f"{'  + interpreter start and import beam_deps':<46}{med(warm_import):>10.3f}")
    if beam:
        base = med(beam)
        print(f"{'Beam stager: pip download per requirement':<46}{base:>10.3f}{1:>10.2f}")
        print(f"{'stage --wheelhouse, cold (one pip download)':<46}{med(cold_wh):>10.3f}"
              f"{med(cold_wh) / base:>10.2f}  x Beam's stager")  # fmt: skip
        print(f"{'stage, cold, no wheelhouse':<46}{med(cold):>10.3f}"
              f"{med(cold) / base:>10.2f}  x Beam's stager")  # fmt: skip
        print(f"{'stage, warm':<46}{med(warm):>10.3f}{med(warm) / base:>10.3f}  x Beam's stager")
        if args.record:
            rows = [
                ("cold stage / Beam's stager", med(cold) / base, None),
                ("cold stage --wheelhouse / Beam's stager", med(cold_wh) / base, None),
            ]
            record(rows, "benchmarks/bench_stage.py")


if __name__ == "__main__":
    main()
