"""Where the benchmarks' measured ratios go: the performance page's chart.

Each benchmark prints its measurements; with ``--record`` it also writes its ratios into
``website/diagrams/performance-ratios.tsv`` (one row per measure, replaced in place) and
redraws the chart (``website/diagrams/make_diagrams.py``). So the chart on the performance
page is always what a benchmark run printed, never a number typed by hand.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TSV = ROOT / "website" / "diagrams" / "performance-ratios.tsv"


def add_record_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--record",
        action="store_true",
        help="write the measured ratios into the performance page's chart "
        f"({TSV.relative_to(ROOT)}) and redraw it",
    )


def record(rows: list[tuple[str, float, float | None]], script: str) -> None:
    """Replace (or add) the rows ``(measure, ratio, goal)`` measured by ``script``."""
    lines = TSV.read_text(encoding="utf-8").splitlines()
    new = {measure: f"{measure}\t{ratio:.2f}\t{goal if goal is not None else '-'}\t{script}"
           for measure, ratio, goal in rows}  # fmt: skip
    out = []
    for line in lines:
        measure = line.split("\t", 1)[0]
        out.append(new.pop(measure) if not line.startswith("#") and measure in new else line)
    out += new.values()
    TSV.write_text("\n".join(out) + "\n", encoding="utf-8")
    subprocess.run([sys.executable, str(ROOT / "website" / "diagrams" / "make_diagrams.py")],
                   check=True)  # fmt: skip
    print(f"recorded {len(rows)} ratio(s) in {TSV.relative_to(ROOT)} and redrew the chart")
