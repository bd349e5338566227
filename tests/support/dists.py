"""Real installed distributions for the submitting process only, never for the workers."""

from __future__ import annotations

from pathlib import Path


def install_fake_dist(site: Path, name: str, source: str) -> Path:
    """A package ``name`` with its ``.dist-info`` in ``site`` (put ``site`` on sys.path)."""
    (site / name).mkdir(parents=True)
    (site / name / "__init__.py").write_text(source)
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "top_level.txt").write_text(f"{name}\n")
    (info / "RECORD").write_text(
        f"{name}/__init__.py,,\n{name}-1.0.dist-info/METADATA,,\n"
        f"{name}-1.0.dist-info/top_level.txt,,\n{name}-1.0.dist-info/RECORD,,\n"
    )
    return site
