"""The performance chart is written by the benchmarks (``--record``), never by hand."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ratios(tmp_path: Path):
    spec = importlib.util.spec_from_file_location("ratios", ROOT / "benchmarks" / "ratios.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # a copy of the website's diagrams folder, so the test never touches the real chart
    site = tmp_path / "site"
    shutil.copytree(ROOT / "website" / "diagrams", site / "website" / "diagrams")
    module.ROOT, module.TSV = site, site / "website" / "diagrams" / "performance-ratios.tsv"
    return module, site


def test_record_replaces_the_rows_of_its_measures_and_redraws_the_chart(tmp_path, capsys):
    ratios, site = _ratios(tmp_path)
    before = ratios.TSV.read_text().splitlines()
    ratios.record(
        [("check_object / pickler.dumps", 1.234, 1.5), ("a new measure", 0.5, None)],
        "benchmarks/bench_check_object.py",
    )
    after = ratios.TSV.read_text().splitlines()
    assert len(after) == len(before) + 1  # one row replaced in place, one added
    assert "check_object / pickler.dumps\t1.23\t1.5\tbenchmarks/bench_check_object.py" in after
    assert after[-1] == "a new measure\t0.50\t-\tbenchmarks/bench_check_object.py"
    svg = (site / "website" / "docs" / "img" / "performance-ratios.svg").read_text()
    assert "a new measure" in svg and "1.23" in svg
    assert "recorded 2 ratio(s)" in capsys.readouterr().out


def test_every_benchmark_that_feeds_the_chart_offers_record():
    rows = [
        line.split("\t")
        for line in (ROOT / "website/diagrams/performance-ratios.tsv").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    for script in {row[3] for row in rows}:
        assert "record(" in (ROOT / script).read_text(), script
