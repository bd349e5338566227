"""Regenerate the package lists of Beam's SDK container images (beam-deps' worker models).

Beam's image ``apache/beam_python{X.Y}_sdk:{V}`` installs ``apache-beam[gcp,dataframe,test]==V``
plus ``sdks/python/container/base_image_requirements_manual.txt``, resolved when V was released
and frozen in Beam's repository as ``sdks/python/container/pyXY/base_image_requirements.txt``.
This script reproduces that resolution with ``uv pip compile`` for Linux, limited to what the
package index held on V's release day (``--exclude-newer``), and writes one ``name==version``
list per (V, X.Y) to ``beam_deps/environment/images/{V}/py{X.Y}.txt``.

Usage (needs network access to PyPI and ``uv`` on PATH):

    python scripts/make_image_models.py 2.78.0            # one new Beam release, every Python
    python scripts/make_image_models.py 2.78.0 --python 3.12
    python scripts/make_image_models.py --all             # every release listed below again

A release is resolved for each Python its wheels were published for (read from PyPI).
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "beam_deps" / "environment" / "images"

# Beam's sdks/python/container/base_image_requirements_manual.txt (the extra packages every
# SDK image installs on top of apache-beam's extras); update it when Beam changes the file.
MANUAL = """\
bs4
cython>=3,<4
future
google-cloud-profiler
guppy3
mmh3
nltk
nose==1.3.7
google-crc32c
scipy
scikit-learn
build>=1.0,<2
"""
EXTRAS = "gcp,dataframe,test"
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
RELEASES = tuple(f"2.{minor}.0" for minor in range(61, 79))


def release_info(version: str) -> tuple[str, list[str]]:
    """(the day after V was uploaded, Pythons it has CPython wheels for) from PyPI."""
    url = "https://pypi.org/pypi/apache-beam/json"
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - a fixed https URL
        files = json.load(response)["releases"].get(version)
    if not files:
        raise SystemExit(f"apache-beam {version} is not on PyPI")
    # The end of V's release day: V's own files are on the index, nothing published later is.
    last = max(f["upload_time_iso_8601"] for f in files)[:10]
    uploaded = (datetime.date.fromisoformat(last) + datetime.timedelta(days=1)).isoformat()
    tags = {f["python_version"] for f in files if f["python_version"].startswith("cp3")}
    pythons = sorted(f"3.{tag[3:]}" for tag in tags)
    return uploaded, [p for p in pythons if p in PYTHONS]


def compile_model(version: str, python: str, exclude_newer: str) -> list[str]:
    """``name==version`` lines of the image for Beam ``version`` on Python ``python``."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "image.in"
        source.write_text(f"apache-beam[{EXTRAS}]=={version}\n{MANUAL}", encoding="utf-8")
        result = subprocess.run(
            [
                "uv",
                "pip",
                "compile",
                str(source),
                "--python-version",
                python,
                "--python-platform",
                "x86_64-manylinux_2_31",
                "--exclude-newer",
                exclude_newer,
                "--no-header",
                "--no-annotate",
                "--quiet",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise SystemExit(f"uv pip compile failed for {version} / {python}:\n{result.stderr}")
    return sorted(
        (line.strip() for line in result.stdout.splitlines() if "==" in line),
        key=str.lower,
    )


def write(version: str, python: str, exclude_newer: str, lines: list[str]) -> Path:
    path = OUT / version / f"py{python}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# apache/beam_python{python}_sdk:{version}: apache-beam[{EXTRAS}]=={version} + Beam's "
        f"base_image_requirements_manual.txt,\n# resolved by scripts/make_image_models.py with "
        f"uv pip compile --python-version {python} --exclude-newer {exclude_newer}\n"
    )
    path.write_text(header + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="*", help="Beam releases, e.g. 2.78.0")
    parser.add_argument("--all", action="store_true", help="every release in RELEASES")
    parser.add_argument("--python", action="append", help="only these Pythons (X.Y)")
    args = parser.parse_args(argv)
    versions = list(RELEASES) if args.all else args.versions
    if not versions:
        parser.error("name at least one Beam release, or --all")
    for version in versions:
        uploaded, pythons = release_info(version)
        for python in args.python or pythons:
            lines = compile_model(version, python, uploaded)
            print(f"{write(version, python, uploaded, lines)}: {len(lines)} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
