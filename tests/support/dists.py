"""Real installed distributions for the submitting process only, never for the workers."""

from __future__ import annotations

import shutil
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


FAKE_LIBRARIES = Path(__file__).parent / "fakelib"


def install_fake_library(site: Path, name: str) -> Path:
    """Install the package ``tests/support/fakelib/<name>`` into ``site``, a folder named
    ``site-packages`` as pip makes one (package + ``.dist-info``), and return ``site``.

    Put ``site`` on sys.path to import it: to beam-deps its modules are then a third-party
    library's, not the user's code, as they would be after ``pip install``.
    """
    assert site.name == "site-packages", "beam-deps tells libraries by their folder"
    shutil.copytree(
        FAKE_LIBRARIES / name, site / name, ignore=shutil.ignore_patterns("__pycache__")
    )
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "top_level.txt").write_text(f"{name}\n")
    (info / "INSTALLER").write_text("pip\n")
    files = [p.relative_to(site).as_posix() for p in sorted((site / name).rglob("*.py"))]
    files += [f"{info.name}/{p.name}" for p in sorted(info.iterdir())]
    (info / "RECORD").write_text(
        "".join(f"{f},,\n" for f in files) + f"{name}-1.0.dist-info/RECORD,,\n"
    )
    return site
