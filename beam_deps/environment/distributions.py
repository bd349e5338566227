"""Which installed distribution provides a module, at which version, and how it was installed.

Everything here reads ``importlib.metadata`` (the same data pip uses), so a requirement is
always pinned to the version that is really installed, and PEP 610 ``direct_url.json`` tells
an index install apart from an editable checkout, a local folder or a VCS commit: only the
first can be reinstalled on a worker from a requirement line.
"""

from __future__ import annotations

import functools
import importlib.metadata as md
import importlib.util
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from beam_deps.environment import images
from beam_deps.requirements_files import (  # noqa: F401 - staging reads them from here
    RequirementLine,
    requirement_entries,
    requirement_lines,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

# Always present where a Beam worker runs Python; never worth a requirement line.
BASE_TOOLS = ("pip", "setuptools", "wheel")
SELF = "beam-deps"


@dataclass(frozen=True)
class DirectUrl:
    """PEP 610 origin of a distribution that did not come from an index."""

    kind: str  # "editable" | "local_dir" | "local_archive" | "vcs" | "url"
    url: str
    path: Path | None = None  # for file:// URLs
    vcs: str | None = None
    commit: str | None = None
    subdirectory: str | None = None

    def requirement(self, name: str) -> str | None:
        """A requirement line a worker can install from, or None (must ship as a file)."""
        if self.kind == "vcs" and self.commit:
            line = f"{name} @ {self.vcs}+{self.url}@{self.commit}"
            return line + (f"#subdirectory={self.subdirectory}" if self.subdirectory else "")
        if self.kind == "url":
            return f"{name} @ {self.url}"
        return None


def _parse_direct_url(text: str) -> DirectUrl | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    url = data.get("url", "")
    parsed = urlparse(url)
    path = Path(unquote(parsed.path)) if parsed.scheme == "file" else None
    sub = data.get("subdirectory")
    if "vcs_info" in data:
        info = data["vcs_info"]
        return DirectUrl("vcs", url, path, info.get("vcs", "git"), info.get("commit_id"), sub)
    if "dir_info" in data:
        kind = "editable" if data["dir_info"].get("editable") else "local_dir"
        return DirectUrl(kind, url, path, subdirectory=sub)
    if "archive_info" in data:
        return DirectUrl("local_archive" if path else "url", url, path, subdirectory=sub)
    return None


class Environment:
    """A snapshot of the distributions importable by this interpreter (first on sys.path wins)."""

    def __init__(self, path: list[str] | None = None) -> None:
        self.path = list(sys.path if path is None else path)
        self.dists: dict[str, md.Distribution] = {}
        self._names: dict[str, tuple[str, str]] = {}  # canonical -> (display name, version)
        for dist in md.distributions(path=self.path):
            meta = dist.metadata  # parsed once: parsing METADATA is the expensive part
            name = meta["Name"]
            if name and canonicalize_name(name) not in self.dists:
                self.dists[canonicalize_name(name)] = dist
                self._names[canonicalize_name(name)] = (name, meta["Version"])
        self._marker_env = default_environment()

    # ------------------------------------------------------------------ lookups
    def version(self, name: str) -> str | None:
        entry = self._names.get(canonicalize_name(name))
        return entry[1] if entry else None

    def display_name(self, name: str) -> str:
        entry = self._names.get(canonicalize_name(name))
        return entry[0] if entry else name

    @functools.cached_property
    def top_level(self) -> dict[str, list[str]]:
        """Top-level import name -> canonical names of the distributions that provide it."""
        mapping: dict[str, list[str]] = {}
        for top, names in md.packages_distributions().items():
            for n in names:
                c = canonicalize_name(n)
                if c in self.dists and c not in mapping.setdefault(top, []):
                    mapping[top].append(c)
        return mapping

    @functools.cached_property
    def direct_urls(self) -> dict[str, DirectUrl]:
        out = {}
        for name, dist in self.dists.items():
            text = dist.read_text("direct_url.json")
            parsed = _parse_direct_url(text) if text else None
            if parsed:
                out[name] = parsed
        return out

    @functools.cached_property
    def local_roots(self) -> dict[Path, str]:
        """Source folders of editable and local-folder installs -> distribution name."""
        return {
            d.path.resolve(): name
            for name, d in self.direct_urls.items()
            if d.kind in ("editable", "local_dir") and d.path
        }

    @functools.cache  # noqa: B019 - one Environment per staging run
    def _record(self, name: str) -> str:
        return self.dists[name].read_text("RECORD") or ""

    def _owner_of_file(self, file: Path, candidates: list[str]) -> list[str]:
        """Distributions whose RECORD lists ``file`` (a raw text search: reading RECORD as
        text is much cheaper than building path objects for every installed file)."""
        owners = []
        for name in candidates:
            base = Path(self.dists[name].locate_file("")).resolve()
            if not file.is_relative_to(base):
                continue
            rel = file.relative_to(base).as_posix()
            if f"\n{rel}," in "\n" + self._record(name):
                owners.append(name)
        return owners

    def distributions_for(self, module: str, file: str | Path | None = None) -> list[str]:
        """Canonical names of the distributions that provide ``module`` (possibly several for a
        namespace package like ``google``; the module's file settles it when known)."""
        resolved = Path(file).resolve() if file else None
        if resolved is not None:
            for root, name in self.local_roots.items():
                if resolved.is_relative_to(root):
                    return [name]
        top = module.split(".")[0]
        candidates = self.top_level.get(top, [])
        if len(candidates) == 1:
            return list(candidates)
        if resolved is not None:
            owners = self._owner_of_file(resolved, candidates or sorted(self.dists))
            if owners:
                return owners
        if not candidates or "." not in module:
            return list(candidates)
        rel = module.replace(".", "/")
        narrowed = [
            n
            for n in candidates
            if f"\n{rel}/" in "\n" + self._record(n) or f"\n{rel}." in "\n" + self._record(n)
        ]
        return narrowed or list(candidates)

    # ------------------------------------------------------------------ dependencies
    def requires(self, name: str, extras: frozenset[str] = frozenset()) -> list[Requirement]:
        """Declared dependencies of ``name`` that apply here (markers evaluated)."""
        dist = self.dists.get(canonicalize_name(name))
        if dist is None:
            return []
        out = []
        for line in dist.requires or ():
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if req.marker is not None:
                envs = [dict(self._marker_env, extra=e) for e in (extras or {""})]
                if not any(req.marker.evaluate(env) for env in envs):
                    continue
            out.append(req)
        return out

    def installed_extras(self, name: str) -> frozenset[str]:
        """The extras of ``name`` whose own requirements (markers evaluated here) are all
        installed (``satisfied_extras``)."""
        dist = self.dists.get(canonicalize_name(name))
        if dist is None:
            return frozenset()
        return satisfied_extras(dist, lambda n: self.version(n) is not None, self._marker_env)

    def closure(self, roots: dict[str, frozenset[str]]) -> dict[str, str | None]:
        """Every distribution reachable from ``roots`` (name -> extras) at installed versions.

        A dependency that is not installed maps to None (its requirement cannot be pinned).
        """
        seen: dict[str, str | None] = {}
        queue = [(canonicalize_name(n), frozenset(e)) for n, e in roots.items()]
        done: set[tuple[str, frozenset[str]]] = set()
        while queue:
            name, extras = queue.pop()
            if (name, extras) in done:
                continue
            done.add((name, extras))
            seen[name] = self.version(name)
            for req in self.requires(name, extras):
                queue.append((canonicalize_name(req.name), frozenset(req.extras)))
        return seen


@dataclass
class WorkerImage:
    """What the worker already has installed: name -> version (None: any version)."""

    packages: dict[str, str | None]
    source: str  # said in messages: "apache-beam closure", a file, an image
    kind: str = "local"  # "local" | "sdk-image" | "freeze"

    def has(self, name: str) -> bool:
        return canonicalize_name(name) in self.packages

    def version(self, name: str) -> str | None:
        return self.packages.get(canonicalize_name(name))

    def provides(self, module: str) -> str | None:
        """The image distribution that provides import ``module`` (by name), if any."""
        return images.distribution_of(module, self.packages)


def satisfied_extras(
    dist: md.Distribution, installed: Callable[[str], bool], marker_env: dict[str, str]
) -> frozenset[str]:
    """The extras of ``dist`` whose own requirements are all ``installed``:
    ``apache-beam[dataframe]`` when pandas is. A local worker runs in this environment, so it
    has them, as every Beam SDK image has Beam's usual extras; leaving them out made pandas
    "missing" for Beam's own DataFrame API. An extra with any requirement not installed is
    left out, so a third-party package no satisfied extra names stays outside the model. An
    extra that names another extra of the same project needs that one satisfied too.
    The requirement lines are parsed once (there are hundreds for apache-beam)."""
    me = canonicalize_name(dist.metadata["Name"] or "")
    parsed = []
    for line in dist.requires or ():
        try:
            parsed.append(Requirement(line))
        except InvalidRequirement:
            continue

    def applies(req: Requirement, extra: str) -> bool:
        return req.marker is None or req.marker.evaluate(dict(marker_env, extra=extra))

    base = {canonicalize_name(r.name) for r in parsed if applies(r, "")}
    satisfied: set[str] = set()
    selves: dict[str, list[set[str]]] = {}
    for extra in dist.metadata.get_all("Provides-Extra") or ():
        own = [r for r in parsed if r.marker is not None and applies(r, extra)]
        own = [r for r in own if not applies(r, "") or canonicalize_name(r.name) not in base]
        if not own:
            continue
        selves[extra] = [set(r.extras) for r in own if canonicalize_name(r.name) == me]
        if all(installed(r.name) for r in own if canonicalize_name(r.name) != me):
            satisfied.add(extra)
    changed = True
    while changed:
        changed = False
        for extra in sorted(satisfied):
            if any(not wanted <= satisfied for wanted in selves[extra]):
                satisfied.discard(extra)
                changed = True
    return frozenset(satisfied)


# Extras that are a pickler's, not a package the payload needs: whether dill is on the worker
# (and which) is BD407's question, and the simulated worker adds dill for dill batches itself.
PICKLER_EXTRAS = frozenset({"dill"})


def local_worker_extras(env: Environment | None = None) -> frozenset[str]:
    """apache-beam's extras a local worker has: the satisfied ones but the pickler's. Without
    ``env`` only apache-beam's own metadata and the names it lists are read (the simulated
    worker's start must stay cheap)."""
    if env is not None:
        found = env.installed_extras("apache-beam")
    else:
        try:
            dist = md.distribution("apache-beam")
        except md.PackageNotFoundError:
            return frozenset()
        found = satisfied_extras(dist, _installed, default_environment())
    return found - PICKLER_EXTRAS


def _installed(name: str) -> bool:
    try:
        md.distribution(name)
    except md.PackageNotFoundError:
        return False
    return True


def worker_image(env: Environment, requirements_file: str | Path | None = None) -> WorkerImage:
    """The local model (apache-beam as installed here: its dependency closure with every
    extra whose requirements are all installed, at the installed versions), or the packages a
    freeze/constraints file lists."""
    if requirements_file is None:
        packages = env.closure({"apache-beam": local_worker_extras(env)})
        for tool in BASE_TOOLS:
            packages.setdefault(tool, env.version(tool))
        return WorkerImage(packages, "apache-beam closure")
    packages: dict[str, str | None] = {}
    for line in requirement_lines(requirements_file):
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        pins = [s.version for s in req.specifier if s.operator in ("==", "===")]
        packages[canonicalize_name(req.name)] = pins[0] if pins else None
    packages.setdefault("apache-beam", env.version("apache-beam"))
    for tool in BASE_TOOLS:
        packages.setdefault(tool, None)
    return WorkerImage(packages, str(requirements_file), "freeze")


# ------------------------------------------------------------------ one module, quickly
# ``Environment`` reads every installed distribution (about a second on a Beam environment):
# right for staging, which maps hundreds of modules. The simulated worker asks about the one
# module a worker could not import; these look only next to where that module is found.


def locate_module(module: str, search_path: Sequence[str] = ()) -> tuple[Path, str] | None:
    """(sys.path folder holding it, its relative path) for ``module`` as importable here.

    For a namespace package (``google``) the second level decides (``google/cloud``):
    many distributions share the namespace.
    """
    parts = module.split(".")
    spec = _find_here(parts[0], search_path)
    if spec is None:
        return None
    origin = spec.origin if spec.origin not in (None, "namespace") else None
    if origin is None:
        if len(parts) < 2:
            return None
        for location in spec.submodule_search_locations or ():
            candidate = Path(location) / parts[1]
            if candidate.is_dir() or candidate.with_suffix(".py").is_file():
                return Path(location).parent, f"{parts[0]}/{parts[1]}"
        return None
    path = Path(origin)
    base = path.parent.parent if path.name == "__init__.py" else path.parent
    return base, parts[0]


def module_owner(module: str, search_path: Sequence[str] = ()) -> tuple[str, str, bool] | None:
    """(distribution, version, local install?) that installed ``module`` here, if any.

    Looks only at the ``*.dist-info`` / ``*.egg-info`` folders next to where the module is
    found, instead of reading every installed distribution's file list.
    """
    found = locate_module(module, search_path)
    if found is None:
        return None
    base, rel = found
    prefixes = (f"{rel}/", f"{rel}.")
    top = rel.split("/")[0]
    for info in sorted(base.glob("*.dist-info")) + sorted(base.glob("*.egg-info")):
        if _claims(info, top if "/" not in rel else "", prefixes):
            name, version = _dist_name_version(info)
            in_site = any(part in ("site-packages", "dist-packages") for part in base.parts)
            local = (info.suffix == ".egg-info" and not in_site) or _is_local_install(info)
            return name, version, local
    return None


def _claims(info: Path, top: str, prefixes: tuple[str, ...]) -> bool:
    top_level = info / "top_level.txt"
    try:
        if top and top_level.is_file() and top in top_level.read_text().split():
            return True
        record = info / "RECORD"
        if record.is_file():
            return any(line.startswith(prefixes) for line in record.read_text().splitlines())
    except OSError:
        pass
    return False


def _dist_name_version(info: Path) -> tuple[str, str]:
    name, version = info.name.rsplit(".", 1)[0], ""
    try:
        meta = info / ("METADATA" if info.suffix == ".dist-info" else "PKG-INFO")
        for line in meta.read_text(errors="replace").splitlines()[:20]:
            if line.startswith("Name:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("Version:"):
                version = line.split(":", 1)[1].strip()
    except OSError:
        if "-" in name:
            name, version = name.split("-", 1)
    return name, version


def _is_local_install(info: Path) -> bool:
    """PEP 610: the distribution is an editable install or came from a local folder."""
    try:
        text = (info / "direct_url.json").read_text(encoding="utf-8")
    except OSError:
        return False
    origin = _parse_direct_url(text)
    return origin is not None and origin.kind in ("editable", "local_dir")


def _find_here(top: str, search_path: Sequence[str]):
    saved = list(sys.path)
    try:
        sys.path[:0] = [p for p in search_path if p not in sys.path]
        if top in sys.modules:
            return getattr(sys.modules[top], "__spec__", None) or importlib.util.find_spec(top)
        return importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    finally:
        sys.path[:] = saved
