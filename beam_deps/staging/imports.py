"""The local import closure of a script, read from source (AST), never executed.

Running the script tells us what was imported while the pipeline was *built*; imports that
happen only on the worker (inside ``process``, ``setup`` or a lambda) never run here. The AST
walk sees those too: every ``import`` statement in the script and, recursively, in the local
modules and packages it imports. Names are split into local code (found next to the script)
and everything else (the standard library or installed distributions).
"""

from __future__ import annotations

import ast
import functools
import sys
import sysconfig
from dataclasses import dataclass, field
from importlib.machinery import EXTENSION_SUFFIXES, SOURCE_SUFFIXES, PathFinder
from pathlib import Path

STDLIB = frozenset(sys.stdlib_module_names) | {"__future__", "__main__"}


@dataclass(frozen=True)
class ImportSite:
    """One ``import`` statement: the absolute module name and where it was written."""

    module: str
    file: Path
    line: int
    guarded: bool  # inside try/except ImportError or `if TYPE_CHECKING:`: optional


@dataclass
class Closure:
    """Local code reached from the script, and every other module it names."""

    root: Path
    local: dict[str, Path] = field(
        default_factory=dict
    )  # top-level name -> module file/package dir
    external: dict[str, list[ImportSite]] = field(default_factory=dict)  # full name -> sites
    files: list[Path] = field(default_factory=list)  # every local source file parsed
    syntax_errors: list[tuple[Path, str]] = field(default_factory=list)

    def top_level_external(self) -> set[str]:
        return {name.split(".")[0] for name in self.external}


def is_stdlib(module: str, file: str | Path | None = None) -> bool:
    """Part of Python itself: by name, or (for private helpers such as
    ``_sysconfigdata_*``, which ``sys.stdlib_module_names`` does not list) by living in the
    interpreter's own folders (the standard library, ``lib-dynload``, ``sys.base_prefix``),
    outside site-packages. Every worker's interpreter has them: they are never local code."""
    top = module.split(".")[0]
    if top in STDLIB or top in interpreter_modules():
        return True
    if not file:
        return False
    path = str(file)
    return path.startswith(_STDLIB_DIRS) and "-packages" not in path


_STDLIB_DIRS = tuple(
    {sysconfig.get_paths()[k] + "/" for k in ("stdlib", "platstdlib")}
    | {sys.base_prefix + "/lib/", sys.base_exec_prefix + "/lib/"}
)


def _interpreter_dirs() -> list[Path]:
    """Folders whose top-level modules ship with the interpreter (not site-packages)."""
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    roots = {Path(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib")}
    roots |= {Path(p) / "lib" / version for p in (sys.base_prefix, sys.base_exec_prefix)}
    return [folder for root in roots for folder in (root, root / "lib-dynload")]


@functools.cache
def interpreter_modules() -> frozenset[str]:
    """Top-level modules that ship with this interpreter although ``sys.stdlib_module_names``
    does not list them: ``_sysconfigdata_<abi>_<platform>`` (which ``sysconfig`` imports for
    pandas, numpy and setuptools), the ``_test*`` extensions, ``__phello__``, a
    distribution's ``_sysconfigdata`` variants. A worker's Python has its own: never local
    code, never a requirement."""
    suffixes = sorted(EXTENSION_SUFFIXES + SOURCE_SUFFIXES + [".pyc"], key=len, reverse=True)
    found: set[str] = set()
    for folder in _interpreter_dirs():
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.endswith("-packages") or name == "__pycache__":
                continue
            if entry.is_dir():
                if (entry / "__init__.py").is_file():
                    found.add(name)
                continue
            for suffix in suffixes:
                if name.endswith(suffix):
                    found.add(name[: -len(suffix)])
                    break
    return frozenset(found - STDLIB)


def _guard_ranges(tree: ast.AST) -> list[tuple[int, int]]:
    """Line ranges whose imports are optional by construction."""
    ranges = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            names = []
            for handler in node.handlers:
                t = handler.type
                elts = t.elts if isinstance(t, ast.Tuple) else [t]
                names += [getattr(e, "id", getattr(e, "attr", "")) for e in elts if e]
                if t is None:
                    names.append("Exception")
            if {"ImportError", "ModuleNotFoundError", "Exception"} & set(names):
                ranges.append((node.body[0].lineno, node.body[-1].end_lineno or 0))
        elif isinstance(node, ast.If):
            test = ast.unparse(node.test)
            if "TYPE_CHECKING" in test:
                ranges.append((node.body[0].lineno, node.body[-1].end_lineno or 0))
    return ranges


def imports_in(source: str, file: Path, package: list[str]) -> list[ImportSite]:
    """Every absolute module name imported by ``source`` (relative imports resolved)."""
    tree = ast.parse(source, filename=str(file))
    guards = _guard_ranges(tree)

    def guarded(line: int) -> bool:
        return any(a <= line <= b for a, b in guards)

    sites = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                sites.append(ImportSite(alias.name, file, node.lineno, guarded(node.lineno)))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1] if package else []
                if not base:
                    continue  # relative import outside a package: Python itself would fail
                prefix = ".".join(base)
                mod = f"{prefix}.{node.module}" if node.module else prefix
            else:
                mod = node.module or ""
            if mod:
                sites.append(ImportSite(mod, file, node.lineno, guarded(node.lineno)))
                # `from pkg import sub` may import the submodule pkg.sub.
                for alias in node.names:
                    if alias.name != "*":
                        sites.append(
                            ImportSite(
                                f"{mod}.{alias.name}", file, node.lineno, guarded(node.lineno)
                            )
                        )
        elif isinstance(node, ast.Call) and _is_dynamic_import(node):
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                sites.append(ImportSite(arg.value, file, node.lineno, True))
    return sites


def _is_dynamic_import(node: ast.Call) -> bool:
    func = ast.unparse(node.func)
    return bool(node.args) and func in (
        "importlib.import_module",
        "import_module",
        "__import__",
    )


def find_local(name: str, search: list[Path]) -> Path | None:
    """The file (module) or folder (package) that ``import name`` finds in ``search``."""
    spec = PathFinder.find_spec(name, [str(p) for p in search])
    if spec is None:
        return None
    if spec.submodule_search_locations:
        locations = list(spec.submodule_search_locations)
        return Path(locations[0]) if locations else None
    if spec.origin and spec.origin not in ("built-in", "frozen"):
        return Path(spec.origin)
    return None


def closure(
    script: Path, search: list[Path] | None = None, package: list[str] | None = None
) -> Closure:
    """Walk the imports of ``script`` and of every local module it reaches.

    ``search`` is where local code is looked up (default: the script's folder, which is
    ``sys.path[0]`` when Python runs the script); ``package`` is the script's package when it
    runs as ``-m pkg.module`` (for its relative imports).
    """
    script = Path(script).resolve()
    search = [Path(p).resolve() for p in (search or [script.parent])]
    result = Closure(root=search[0])
    _walk(result, [(script, list(package or []))], search)
    return result


def add_local(result: Closure, top: str, location: Path) -> None:
    """Add a local module found another way (imported dynamically while the script ran)."""
    if top in result.local:
        return
    result.local[top] = location
    _walk(result, _sources_of(top, location), [result.root])


def _walk(result: Closure, queue: list[tuple[Path, list[str]]], search: list[Path]) -> None:
    seen = set(result.files)
    while queue:
        file, package = queue.pop()
        if file in seen:
            continue
        seen.add(file)
        result.files.append(file)
        try:
            source = file.read_text(encoding="utf-8")
            sites = imports_in(source, file, package)
        except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
            result.syntax_errors.append((file, str(exc)))
            continue
        for site in sites:
            top = site.module.split(".")[0]
            if top in STDLIB or top in result.local:
                continue
            if package and top == package[0]:
                continue  # inside the same local package: shipped with it
            location = find_local(top, search)
            if location is not None:
                result.local[top] = location
                queue.extend(_sources_of(top, location))
            else:
                result.external.setdefault(site.module, []).append(site)
    result.files.sort()


def _sources_of(top: str, location: Path) -> list[tuple[Path, list[str]]]:
    if location.is_dir():
        out = []
        for file in sorted(location.rglob("*.py")):
            if "__pycache__" in file.parts:
                continue
            rel = file.relative_to(location.parent).with_suffix("")
            out.append((file, list(rel.parts)[:-1]))
        return out
    if location.suffix == ".py":
        return [(location, [])]
    return []  # an extension module: nothing to parse
