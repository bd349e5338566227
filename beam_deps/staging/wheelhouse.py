"""``--wheelhouse``: binary wheels of every staged requirement for the worker's platform.

With wheels staged next to ``requirements.txt``, a worker installs offline
(``pip install --no-index --find-links``, which is also the first thing Beam's own boot
tries), instead of resolving against an index at every start. One ``pip download`` for the
whole set (Beam's stager runs one per requirement line), ``--no-deps`` because the set is
already the full closure minus the worker image. uv has no download command, so pip it is.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from beam_deps.staging.errors import StagingError

_PLATFORMS_X86_64 = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "linux_x86_64")


@dataclass
class Target:
    """The worker's platform and Python; None means "like this machine"."""

    python: str | None = None  # "3.11"
    platforms: tuple[str, ...] = field(default_factory=tuple)

    def pip_args(self) -> list[str]:
        args = []
        if self.python:
            args += ["--python-version", self.python]
            args += ["--implementation", "cp", "--abi", f"cp{self.python.replace('.', '')}"]
        for plat in self.platforms:
            args += ["--platform", plat]
        if (self.python or self.platforms) and not self.platforms:
            args += [a for p in _PLATFORMS_X86_64 for a in ("--platform", p)]
        return args


class _Progress:
    """One status line on stderr, rewritten in place on a terminal, appended otherwise."""

    def __init__(self, total: int, stream: TextIO | None) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.tty = bool(stream and hasattr(stream, "isatty") and stream.isatty())

    def show(self, text: str) -> None:
        if not self.stream:
            return
        line = f"beam-deps: wheelhouse [{self.done}/{self.total}] {text}"
        if self.tty:
            self.stream.write("\r\033[K" + line[:120])
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.stream and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def download(
    requirements: list[str],
    dest: Path,
    *,
    target: Target | None = None,
    progress: TextIO | None = sys.stderr,
    index_url: str | None = None,
) -> tuple[list[Path], list[str]]:
    """Download wheels for ``requirements`` into ``dest``; return (wheels, requirements that
    have no binary wheel for the target)."""
    dest.mkdir(parents=True, exist_ok=True)
    wanted = [r for r in requirements if _indexable(r)]
    skipped = [r for r in requirements if r not in wanted]
    if not wanted:
        return [], skipped
    target = target or Target()
    cmd = [
        sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--no-deps",
        "--disable-pip-version-check", "--progress-bar", "off", "--dest", str(dest),
        *target.pip_args(),
    ]  # fmt: skip
    if index_url:
        cmd += ["--index-url", index_url]
    cmd += wanted
    bar = _Progress(len(wanted), progress)
    bar.show("resolving")
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    output = []
    assert proc.stdout is not None
    for line in proc.stdout:
        output.append(line)
        m = re.match(r"\s*(?:Collecting|Processing|File was already downloaded)\s+(\S+)", line)
        if m:
            bar.done = min(bar.done + 1, bar.total)
            bar.show(Path(m.group(1)).name)
        elif line.lstrip().startswith("Downloading"):
            bar.show(line.strip()[:100])
    code = proc.wait()
    bar.close()
    if code != 0:
        missing = _missing(output, wanted)
        if missing and len(missing) < len(wanted):
            # Retry without the ones that have no wheel, so the rest still ship.
            rest = [r for r in wanted if r not in missing]
            wheels, more = download(rest, dest, target=target, progress=progress)
            return wheels, skipped + missing + more
        tail = next((ln.strip() for ln in reversed(output) if "ERROR" in ln), "pip failed")
        raise StagingError(
            f"downloading the wheelhouse failed: {tail[:300]}; check the network/index, or "
            "stage without --wheelhouse"
        )
    wheels = _wheels_for(wanted, dest)
    return wheels, skipped


def _indexable(line: str) -> bool:
    """Requirement lines pip can download a wheel for from an index (not VCS/URL lines)."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(line).url is None
    except InvalidRequirement:
        return False


def _missing(output: list[str], wanted: list[str]) -> list[str]:
    from packaging.requirements import Requirement

    text = "".join(output)
    out = []
    for line in wanted:
        name = Requirement(line).name
        pattern = rf"(?:satisfies the requirement|distribution found for) {re.escape(name)}\b"
        if re.search(pattern, text, re.IGNORECASE):
            out.append(line)
    return out


def _wheels_for(wanted: list[str], dest: Path) -> list[Path]:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name, parse_wheel_filename

    names = {canonicalize_name(Requirement(r).name): Requirement(r) for r in wanted}
    out = []
    for wheel in sorted(dest.glob("*.whl")):
        name, version, _, _ = parse_wheel_filename(wheel.name)
        req = names.get(canonicalize_name(name))
        if req is not None and (not req.specifier or req.specifier.contains(version, True)):
            out.append(wheel)
    return out
